#include "service/decision_log.h"

#include <openssl/rand.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

std::string TopConclusions(const google::protobuf::RepeatedPtrField<proto::Conclusion>& list) {
  std::string out = "[";
  for (int i = 0; i < list.size() && i < kTopEntries; ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":", inference::JsonQuote(list[i].id()),
                    ",\"certainty\":", list[i].certainty(), "}");
  }
  out += "]";
  return out;
}

}  // namespace

std::string NewDecisionId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // The CSPRNG failing is near impossible; time and a counter still keep ids unique.
    static std::atomic<uint64_t> counter{0};
    return absl::StrCat(absl::Hex(absl::ToUnixNanos(absl::Now()), absl::kZeroPad16),
                        absl::Hex(counter.fetch_add(1), absl::kZeroPad16));
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
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

std::string DecisionRecord(const proto::Diagnosis& diagnosis, absl::string_view input_digest,
                           absl::Time time) {
  const proto::RuleBaseRef& rules = diagnosis.rule_base();
  return absl::StrCat(
      "{\"decision_id\":", inference::JsonQuote(diagnosis.decision_id()),
      ",\"time\":", inference::JsonQuote(Rfc3339Utc(time)),
      ",\"input_digest\":", inference::JsonQuote(input_digest),
      ",\"rule_base\":{\"id\":", inference::JsonQuote(rules.id()), ",\"version\":", inference::JsonQuote(rules.version()),
      ",\"digest\":", inference::JsonQuote(rules.digest()), "}",
      ",\"causes\":", TopConclusions(diagnosis.causes()),
      ",\"actions\":", TopConclusions(diagnosis.actions()), "}");
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
