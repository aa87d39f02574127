#include "service/decision_log.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "inference/util/digest.h"
#include "service/logging.h"
#include "inference/util/format.h"

namespace align::service {
namespace {

constexpr int kTopEntries = 3;

std::string TopConclusions(absl::Span<const RecordedConclusion> list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size() && i < kTopEntries; ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":", inference::JsonQuote(list[i].id),
                    ",\"certainty\":", list[i].certainty, "}");
  }
  out += "]";
  return out;
}

// The first kTopEntries conclusions of `kind` that the diagnosis lists.
std::vector<RecordedConclusion> TopListed(const inference::Consultation& consultation,
                                          inference::NodeKind kind,
                                          const inference::DiagnoseOptions& options) {
  inference::DiagnoseOptions top = options;
  int& limit = kind == inference::NodeKind::kCause ? top.max_causes : top.max_actions;
  limit = limit > 0 ? std::min(limit, kTopEntries) : kTopEntries;
  std::vector<RecordedConclusion> out;
  for (const inference::ListedConclusion& listed : consultation.Listed(kind, top)) {
    out.push_back({consultation.rule_base().node(listed.node).id, listed.certainty});
  }
  return out;
}

}  // namespace

std::string NewDecisionId() {
  // Random bytes are drawn a batch at a time: one call to the CSPRNG costs about what drawing a
  // few hundred bytes does. The batch is per thread; a process that forked would share what is
  // left of it with its child (alignd never forks).
  constexpr size_t kIdBytes = 16;
  constexpr size_t kBatch = 64 * kIdBytes;
  thread_local unsigned char batch[kBatch];
  thread_local size_t used = kBatch;
  if (used == kBatch) {
    if (RAND_bytes(batch, sizeof batch) != 1) {
      // The CSPRNG failing is near impossible; time and a counter still keep ids unique.
      static std::atomic<uint64_t> counter{0};
      return absl::StrCat(absl::Hex(absl::ToUnixNanos(absl::Now()), absl::kZeroPad16),
                          absl::Hex(counter.fetch_add(1), absl::kZeroPad16));
    }
    used = 0;
  }
  unsigned char* id = batch + used;
  used += kIdBytes;
  std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(id), kIdBytes));
  std::memset(id, 0, kIdBytes);  // an id handed out is not kept
  return hex;
}

std::string AssessmentDigest(const proto::Assessment& assessment) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    assessment.SerializeToCodedStream(&coded);
  }  // the coded stream flushes into `bytes` when it goes
  return inference::Sha256Hex(bytes);
}

std::string DecisionRecord(const Decision& decision) {
  return absl::StrCat(
      "{\"decision_id\":", inference::JsonQuote(decision.decision_id),
      ",\"time\":", inference::JsonQuote(Rfc3339Utc(decision.time)),
      ",\"input_digest\":", inference::JsonQuote(decision.input_digest),
      ",\"rule_base\":{\"id\":", inference::JsonQuote(decision.rule_base_id),
      ",\"version\":", inference::JsonQuote(decision.rule_base_version),
      ",\"digest\":", inference::JsonQuote(decision.rule_base_digest), "}",
      ",\"causes\":", TopConclusions(decision.causes),
      ",\"actions\":", TopConclusions(decision.actions), "}");
}

std::string DecisionRecord(const inference::Consultation& consultation,
                           const inference::DiagnoseOptions& options,
                           absl::string_view decision_id, absl::string_view input_digest,
                           absl::Time time) {
  const inference::RuleBase& rules = consultation.rule_base();
  const std::vector<RecordedConclusion> causes =
      TopListed(consultation, inference::NodeKind::kCause, options);
  const std::vector<RecordedConclusion> actions =
      TopListed(consultation, inference::NodeKind::kAction, options);
  Decision decision;
  decision.decision_id = decision_id;
  decision.input_digest = input_digest;
  decision.time = time;
  decision.rule_base_id = rules.id();
  decision.rule_base_version = rules.version();
  decision.rule_base_digest = rules.digest();
  decision.causes = causes;
  decision.actions = actions;
  return DecisionRecord(decision);
}

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    const int error = errno;
    return absl::Status(
        absl::ErrnoToStatusCode(error),
        absl::StrCat(path, ": cannot open the decision log: ", std::strerror(error)));
  }
  return std::unique_ptr<DecisionLog>(new DecisionLog(path, file));
}

DecisionLog::~DecisionLog() {
  absl::MutexLock lock(&mu_);
  std::fclose(file_);
}

absl::Status DecisionLog::Write(absl::string_view line) {
  std::string text = absl::StrCat(line, "\n");
  absl::MutexLock lock(&mu_);
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    const int error = errno;
    std::clearerr(file_);
    return absl::DataLossError(
        absl::StrCat(path_, ": cannot write the decision log: ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace align::service
