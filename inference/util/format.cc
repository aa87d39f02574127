#include "inference/util/format.h"

#include <charconv>

#include "absl/strings/str_format.h"

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

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace align::inference
