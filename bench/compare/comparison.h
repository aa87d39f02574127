// Our engine against CLIPS on one generated workload: first a gate (every way of running ours
// must conclude the same findings as CLIPS for every case, with a HOW for each), then
// compile/load times and per-diagnosis latency, measured in rounds whose order rotates so that
// drift on the machine hits every contestant alike.
#ifndef ALIGN_BENCH_COMPARE_COMPARISON_H_
#define ALIGN_BENCH_COMPARE_COMPARISON_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/compare/clips_peer.h"
#include "bench/compare/workload.h"

namespace align::bench {

struct ComparisonOptions {
  int rounds = 5;
  int compile_runs = 5;  // compiles and loads timed, for min and median
  ClipsLayout clips_layout = ClipsLayout::kTemplatePerIndicator;
  ClipsAssert clips_assert = ClipsAssert::kFactApi;
  // Rounds for our engine with default DiagnoseOptions (questions and would-fire lists on); 0
  // skips that line.
  int default_options_rounds = 1;
  // Rounds for the same on the workload with causes over its findings (CauseLayerFile), where
  // the open-question search has work to do; 0 skips that line.
  int causes_rounds = 1;
};

// The ways our engine is measured against CLIPS, each in the same rounds.
// In the order of the tables; the first is what a service sends.
enum class OursVariant {
  kHowAsWire,    // Engine::DiagnoseToWire: the Diagnosis, HOW trees included, as wire bytes
  kHowOnHeap,    // Engine::Diagnose: those bytes parsed into a Diagnosis on the heap
  kHowOnArena,   // Engine::DiagnoseInto: parsed into a Diagnosis on a reused protobuf arena
  kHowOnDemand,  // Engine::Consult: premises and certainties kept, no Diagnosis written
  kWhyNotReady,  // Engine::Consult + Consultation::EnsureRanges: WHY NOT's ranges worked out too
};
inline constexpr int kOursVariants = 5;
inline constexpr std::array<OursVariant, kOursVariants> kAllOursVariants = {
    OursVariant::kHowAsWire, OursVariant::kHowOnHeap, OursVariant::kHowOnArena,
    OursVariant::kHowOnDemand, OursVariant::kWhyNotReady};
// The name of its line in the tables: "ours, HOW written (wire)".
absl::string_view OursVariantName(OursVariant variant);

// Nanoseconds per diagnosis over every round and case.
struct Latency {
  double p50 = 0;
  double p99 = 0;
  double mean = 0;
  double round_p50_min = 0;  // spread of the per-round medians
  double round_p50_max = 0;
};

// Where one way of running ours fails the gate on one case.
struct Disagreement {
  int case_index = 0;
  OursVariant variant = OursVariant::kHowAsWire;
  std::vector<std::string> only_ours;  // findings ours concluded and CLIPS did not
  std::vector<std::string> only_clips;
  // kHowAsWire (the HOW in the parsed bytes) and kHowOnDemand (the HOW rendered from the
  // consultation): concluded findings whose HOW shows no fired rule concluding them.
  std::vector<std::string> unexplained;
};

struct SizeResult {
  WorkloadSpec spec;
  int indicators = 0;
  int findings = 0;
  int max_chain_depth = 0;
  // Empty when every variant agrees with CLIPS on every case; then nothing else below is
  // filled in.
  std::vector<Disagreement> disagreements;

  double ours_compile_min_ms = 0, ours_compile_median_ms = 0;
  double clips_load_min_ms = 0, clips_load_median_ms = 0;
  double findings_per_case = 0;
  double clips_fired_per_case = 0;  // rule firings CLIPS reports
  double ours_fired_per_case = 0;   // rules ours explains as fired
  double chained_fired_per_case = 0;
  double touched_per_case = 0;  // see TouchedRules
  Latency clips;
  std::array<Latency, kOursVariants> ours;  // by OursVariant
  Latency ours_default_options;
  // With the cause layer (ComparisonOptions::causes_rounds): how many causes, the open
  // questions a diagnosis asked, and the latency.
  int causes = 0;
  double questions_per_case = 0;
  Latency ours_with_causes;
  // From the gate, not the rounds: mean Consultation::Explain of one concluded finding, and
  // the most arena space one diagnosis took.
  double explain_ns_per_finding = 0;
  int64_t arena_peak_bytes = 0;

  const Latency& Ours(OursVariant variant) const { return ours[static_cast<int>(variant)]; }
};

// Appends to `ids` (cleared first) the id of every finding in `wire`, the serialised bytes of
// an alignment.v1.Diagnosis, reading nothing else: the other fields, and every field of a
// finding but its id, are skipped by their lengths. DataLoss when the bytes are malformed.
absl::Status FindingIdsFromWire(absl::string_view wire, std::vector<std::string>* ids);

// Generates the workload, compiles and loads it, runs the gate and, when it passes, measures.
// Disagreements are a result, not an error. InvalidArgument when the generated rule base does
// not compile (with the compiler's diagnostics) or CLIPS refuses a construct; the engines'
// own errors otherwise.
absl::StatusOr<SizeResult> CompareOnWorkload(const WorkloadSpec& spec,
                                             const ComparisonOptions& options);

// Human-readable tables of every size, for a terminal.
std::string FormatTable(const std::vector<SizeResult>& results, const ComparisonOptions& options);

// The same as a Markdown section, for bench/RESULTS.md.
std::string FormatMarkdown(const std::vector<SizeResult>& results,
                           const ComparisonOptions& options);

// Every disagreement, one per line: size, case index, variant and the differing ids.
std::string FormatDisagreements(const SizeResult& result);

}  // namespace align::bench

#endif  // ALIGN_BENCH_COMPARE_COMPARISON_H_
