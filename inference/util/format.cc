#include "inference/util/format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"

#include "absl/strings/str_format.h"

namespace align::inference {

std::string FormatNumber(double value) {
  if (value == 0) return "0";  // also folds -0
  // Whole numbers below 10^4 print as their digits either way (from 10^5 on, "1e+05" is shorter).
  if (std::fabs(value) < 1e4 && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // Round to 6 significant decimals first, so 0.1 + 0.2 prints as 0.3.
  char buffer[64];
  auto rounded = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 6);
  // Those at most six digits are also the shortest that round-trip (two such decimals lie far
  // more than an ulp apart), so they stand as they are unless the scientific form is shorter.
  std::string_view digits(buffer, rounded.ptr - buffer);
  if (digits.find('e') == std::string_view::npos) {
    // Significant digits: from the first non-zero digit to the last (100000 has one).
    size_t significant = 0, pending_zeros = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') continue;
      if (c == '0') {
        if (significant > 0) ++pending_zeros;
        continue;
      }
      significant += pending_zeros + 1;
      pending_zeros = 0;
    }
    size_t scientific = (value < 0 ? 1 : 0) + significant + (significant > 1 ? 1 : 0) + 4;
    if (digits.size() <= scientific) return std::string(digits);
  }
  double shown = 0;
  std::from_chars(buffer, rounded.ptr, shown);
  auto result = std::to_chars(buffer, buffer + sizeof buffer, shown);
  return std::string(buffer, result.ptr);
}

void AppendHundredths(double value, std::string* out) {
  const double hundredths = std::round(value * 100);
  // Past 10^4 the six-digit rounding and the choice of form matter: leave those to FormatNumber.
  if (!(std::fabs(hundredths) < 1e6)) {
    out->append(FormatNumber(hundredths / 100));
    return;
  }
  const int64_t n = static_cast<int64_t>(hundredths);
  if (n == 0) {
    out->push_back('0');
    return;
  }
  // Written right to left into a buffer, then appended once: "-9999.99" is the longest.
  char buffer[16];
  char* end = buffer + sizeof buffer;
  char* at = end;
  uint64_t magnitude = n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  if (const uint64_t cents = magnitude % 100; cents != 0) {
    if (cents % 10 != 0) *--at = static_cast<char>('0' + cents % 10);
    *--at = static_cast<char>('0' + cents / 10);
    *--at = '.';
  }
  magnitude /= 100;
  do {
    *--at = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (n < 0) *--at = '-';
  out->append(at, end - at);
}

std::string FormatHundredths(double value) {
  std::string text;
  AppendHundredths(value, &text);
  return text;
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
