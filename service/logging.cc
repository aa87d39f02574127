#include "service/logging.h"

#include <cstdio>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace align::service {

LogSink StderrLogSink() {
  auto mu = std::make_shared<std::mutex>();
  return [mu](const std::string& line) {
    std::string text = absl::StrCat(line, "\n");
    std::lock_guard<std::mutex> lock(*mu);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
}

std::string Rfc3339Utc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
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
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatRequestLog(const RequestLogEntry& entry) {
  return absl::StrCat("{\"time\":", JsonQuote(Rfc3339Utc(entry.time)),
                      ",\"method\":", JsonQuote(entry.method),
                      ",\"status\":", JsonQuote(absl::StatusCodeToString(entry.code)),
                      ",\"latency_us\":", entry.latency_us,
                      ",\"rule_base\":", JsonQuote(entry.rule_base),
                      ",\"decision_id\":", JsonQuote(entry.decision_id),
                      ",\"peer\":", JsonQuote(entry.peer), "}");
}

}  // namespace align::service
