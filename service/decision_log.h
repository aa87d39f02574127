// The decision log: one JSON line per diagnosis (id, time, input digest, rule base, top causes
// and actions), so that a decision can be audited and replayed against another rule base.
#ifndef ALIGN_SERVICE_DECISION_LOG_H_
#define ALIGN_SERVICE_DECISION_LOG_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "inference/engine.h"
#include "inference/util/proto_alias.h"

namespace align::service {

// A fresh decision id: 128 random bits as 32 lower-case hex digits.
std::string NewDecisionId();

// Lower-case hex SHA-256 of the assessment serialised deterministically (map entries sorted),
// so that the same input always has the same digest.
std::string AssessmentDigest(const proto::Assessment& assessment);

// A cause or action as the decision log names it: its id and its certainty as the diagnosis
// reports it.
struct RecordedConclusion {
  absl::string_view id;
  double certainty;
};

// What one decision log line says.
struct Decision {
  absl::string_view decision_id;
  absl::string_view input_digest;
  absl::Time time;
  absl::string_view rule_base_id, rule_base_version, rule_base_digest;
  absl::Span<const RecordedConclusion> causes;   // as the diagnosis lists them; the line
  absl::Span<const RecordedConclusion> actions;  // keeps the first 3 of each
};

// The log line (no newline):
//   {"decision_id":…,"time":…,"input_digest":…,
//    "rule_base":{"id":…,"version":…,"digest":…},
//    "causes":[{"id":…,"certainty":…},… top 3],"actions":[… top 3]}
std::string DecisionRecord(const Decision& decision);

// The line for the diagnosis that `consultation` gives under `options` (its rule base, and the
// causes and actions it lists), without writing the diagnosis.
std::string DecisionRecord(const inference::Consultation& consultation,
                           const inference::DiagnoseOptions& options,
                           absl::string_view decision_id, absl::string_view input_digest,
                           absl::Time time);

class DecisionLog {
 public:
  // Opens `path` for appending, creating it if needed. An errno-derived code when it cannot.
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(const std::string& path);
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Appends one line and flushes it. Thread-safe. DataLoss when the write fails.
  absl::Status Write(absl::string_view line) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& path() const { return path_; }

 private:
  DecisionLog(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

  const std::string path_;
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
};

}  // namespace align::service

#endif  // ALIGN_SERVICE_DECISION_LOG_H_
