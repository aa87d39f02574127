#include "inference/util/format.h"

#include <charconv>

namespace align::inference {

std::string FormatNumber(double value) {
  if (value == 0) return "0";  // also folds -0
  // Round to 6 significant decimals first, so 0.1 + 0.2 prints as 0.3.
  char buffer[64];
  auto rounded = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 6);
  double shown = 0;
  std::from_chars(buffer, rounded.ptr, shown);
  auto result = std::to_chars(buffer, buffer + sizeof buffer, shown);
  return std::string(buffer, result.ptr);
}

}  // namespace align::inference
