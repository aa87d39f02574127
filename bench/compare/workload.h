// A synthetic rule base and its cases, the same everywhere for a given seed, written both in
// our rule language and as CLIPS 6.30 constructs so that the two engines run identical work.
//
//   Workload workload = GenerateWorkload({.rules = 1000, .observations_per_case = 50,
//                                         .cases = 200, .seed = 42});
//   std::vector<inference::SourceFile> files = RuleFiles(workload);
//   std::vector<std::string> constructs =
//       ClipsConstructs(workload, ClipsLayout::kTemplatePerIndicator);
#ifndef ALIGN_BENCH_COMPARE_WORKLOAD_H_
#define ALIGN_BENCH_COMPARE_WORKLOAD_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "inference/rulebase/compiler.h"
#include "inference/util/proto_alias.h"

namespace align::bench {

struct WorkloadSpec {
  int rules = 60;
  int observations_per_case = 20;
  int cases = 200;
  uint64_t seed = 42;
};

enum class Comparison { kGreater, kLess, kGreaterOrEqual, kLessOrEqual };

// `indicator OP threshold`.
struct IndicatorTest {
  int indicator = 0;
  Comparison op = Comparison::kGreater;
  int threshold = 0;
};

// `when tests[0] and tests[1] then finding` or, chained, `when premise_finding and tests[0]`.
struct SyntheticRule {
  int conclusion = 0;        // finding index
  int premise_finding = -1;  // the finding a chained rule reads; -1 for none
  std::vector<IndicatorTest> tests;
};

// One observation per listed indicator, each an integer in 0 .. 100.
struct Observed {
  int indicator = 0;
  int value = 0;
};
using Case = std::vector<Observed>;

struct Workload {
  WorkloadSpec spec;
  int indicators = 0;  // number indicators i0 .. i<indicators-1>, range 0 .. 100
  int findings = 0;    // finding.f0 .. finding.f<findings-1>
  std::vector<SyntheticRule> rules;
  std::vector<Case> cases;
  int max_chain_depth = 0;  // longest chain of findings, counting the first as 1
};

// The workload of `spec`: spec.rules rules over 2/3 as many indicators and 1/2 as many
// findings. Three quarters of the rules compare two distinct indicators; every fourth rule reads
// a finding concluded by an earlier rule and one indicator, and concludes a finding of a higher
// index, so the findings form an acyclic graph. Each case observes observations_per_case
// distinct indicators drawn uniformly, with uniform values. Deterministic in spec (including on
// other standard libraries: only the raw std::mt19937_64 stream is used).
Workload GenerateWorkload(const WorkloadSpec& spec);

std::string IndicatorId(int indicator);           // "i12"
std::string FindingId(int finding);               // "finding.f3", in both engines
std::string RuleId(int rule);                     // "r42"
absl::string_view ComparisonText(Comparison op);  // ">", "<", ">=", "<="
// The index in "finding.f3" or "r42"; -1 for an id of another form.
int FindingIndex(absl::string_view id);
int RuleIndex(absl::string_view id);

// The rule base in our language: a header, the indicators, the findings and the rules, in
// separate files named "<prefix>/NN-….rules".
std::vector<inference::SourceFile> RuleFiles(const Workload& workload,
                                             absl::string_view prefix = "synthetic");

// Causes over the findings, for what the comparison with CLIPS leaves out: the open-question
// search, which ranks unknown indicators by how far an answer could move a cause, and so has
// nothing to do on a base without causes. CauseCount(workload) causes, cause.c0 .. , each
// concluded by three rules: one reading a finding, two reading two distinct findings (each
// `finding.fN > 0.5`). Deterministic in the workload's spec. One file,
// "<prefix>/40-causes.rules", to add to RuleFiles; the findings concluded do not change.
int CauseCount(const Workload& workload);  // one per 20 findings, at least 3
inference::SourceFile CauseLayerFile(const Workload& workload,
                                     absl::string_view prefix = "synthetic");

// How observations are facts in CLIPS.
enum class ClipsLayout {
  // (deftemplate obs (slot name) (slot value)), (obs (name i12) (value 57)); findings are
  // (finding (name finding.f3)).
  kSlotPerObservation,
  // One deftemplate per indicator, (i12 (value 57)), and one per finding, (finding.f3).
  kTemplatePerIndicator,
};
absl::string_view ClipsLayoutName(ClipsLayout layout);

// The deftemplates, then one defrule per rule, each a separate construct for EnvBuild.
std::vector<std::string> ClipsConstructs(const Workload& workload, ClipsLayout layout);

// The assertion of one observation, as EnvAssertString takes it.
std::string ClipsFact(ClipsLayout layout, const Observed& observed);

// The case as our engine's input.
proto::Assessment ToAssessment(const Case& c);

// The case as an assessment file alignctl reads.
std::string AssessmentJson(const Case& c, absl::string_view organisation);

// Rules that could be affected by the case: those reading an observed indicator or one of the
// concluded findings (given as flags by finding index).
int TouchedRules(const Workload& workload, const Case& c, const std::vector<bool>& concluded);

// Writes <dir>/rules/*.rules, <dir>/workload.clp and <dir>/cases/case-NNNN.json. Creates the
// folders. An errno-derived code (e.g. PermissionDenied) when a file cannot be written.
absl::Status WriteWorkload(const Workload& workload, ClipsLayout layout,
                           const std::filesystem::path& dir);

}  // namespace align::bench

#endif  // ALIGN_BENCH_COMPARE_WORKLOAD_H_
