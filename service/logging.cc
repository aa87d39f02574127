#include "service/logging.h"

#include <cstdio>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "inference/util/format.h"

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


std::string FormatRequestLog(const RequestLogEntry& entry) {
  return absl::StrCat("{\"time\":", inference::JsonQuote(Rfc3339Utc(entry.time)),
                      ",\"method\":", inference::JsonQuote(entry.method),
                      ",\"status\":", inference::JsonQuote(absl::StatusCodeToString(entry.code)),
                      ",\"latency_us\":", entry.latency_us,
                      ",\"rule_base\":", inference::JsonQuote(entry.rule_base),
                      ",\"decision_id\":", inference::JsonQuote(entry.decision_id),
                      ",\"peer\":", inference::JsonQuote(entry.peer), "}");
}

}  // namespace align::service
