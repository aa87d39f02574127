// alignd's log lines: the per-request JSON line, timestamps, JSON string quoting, and where the
// lines go.
#ifndef ALIGN_SERVICE_LOGGING_H_
#define ALIGN_SERVICE_LOGGING_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace align::service {

// Receives whole log lines (without the newline); must be safe to call from many threads.
using LogSink = std::function<void(const std::string& line)>;

// Writes each line to stderr in one piece, so lines from different threads never interleave.
LogSink StderrLogSink();

// RFC 3339 in UTC with microseconds: "2026-11-27T09:30:00.123456Z".
std::string Rfc3339Utc(absl::Time time);

// One finished RPC.
struct RequestLogEntry {
  absl::Time time;
  std::string method;  // "Diagnose"
  absl::StatusCode code = absl::StatusCode::kOk;
  int64_t latency_us = 0;
  std::string rule_base;  // "alignment.standard@1.0.0"
  std::string decision_id;
  std::string peer;
};

// {"time":…,"method":…,"status":"OK","latency_us":…,"rule_base":…,"decision_id":…,
//  "peer":…}, with the status as the code's name ("INVALID_ARGUMENT").
std::string FormatRequestLog(const RequestLogEntry& entry);

}  // namespace align::service

#endif  // ALIGN_SERVICE_LOGGING_H_
