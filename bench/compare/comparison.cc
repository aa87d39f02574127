#include "bench/compare/comparison.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <functional>
#include <iterator>
#include <memory>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/coded_stream.h"
#include "inference/engine.h"
#include "inference/rulebase/compiler.h"
#include "inference/util/status_macros.h"

namespace align::bench {

absl::string_view OursVariantName(OursVariant variant) {
  switch (variant) {
    case OursVariant::kHowAsWire: return "ours, HOW written (wire)";
    case OursVariant::kHowOnHeap: return "ours, HOW written (heap)";
    case OursVariant::kHowOnArena: return "ours, HOW written (arena)";
    case OursVariant::kHowOnDemand: return "ours, HOW kept, rendered on demand";
    case OursVariant::kWhyNotReady: return "ours, HOW and WHY NOT kept";
  }
  return "ours";
}

namespace {

using ::google::protobuf::io::CodedInputStream;

// Wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

constexpr uint32_t Tag(int field, uint32_t wire_type) {
  return (static_cast<uint32_t>(field) << 3) | wire_type;
}

// Skips the field whose tag was just read; false when it is malformed or a group.
bool SkipField(CodedInputStream& input, uint32_t tag) {
  switch (tag & 7) {
    case kVarint: {
      uint64_t varint = 0;
      return input.ReadVarint64(&varint);
    }
    case kFixed64: return input.Skip(8);
    case kLengthDelimited: {
      uint32_t length = 0;
      return input.ReadVarint32(&length) && length <= INT_MAX &&
             input.Skip(static_cast<int>(length));
    }
    case kFixed32: return input.Skip(4);
    default: return false;
  }
}

// The id of the Conclusion the stream is at (its length not yet read) into `id`.
bool ReadConclusionId(CodedInputStream& input, std::string* id) {
  uint32_t length = 0;
  if (!input.ReadVarint32(&length) || length > INT_MAX) return false;
  const CodedInputStream::Limit limit = input.PushLimit(static_cast<int>(length));
  while (const uint32_t tag = input.ReadTag()) {
    if (tag == Tag(proto::Conclusion::kIdFieldNumber, kLengthDelimited)) {
      uint32_t id_length = 0;
      if (!input.ReadVarint32(&id_length) || id_length > INT_MAX ||
          !input.ReadString(id, static_cast<int>(id_length))) {
        return false;
      }
    } else if (!SkipField(input, tag)) {
      return false;
    }
  }
  if (!input.ConsumedEntireMessage()) return false;
  input.PopLimit(limit);
  return true;
}

}  // namespace

absl::Status FindingIdsFromWire(absl::string_view wire, std::vector<std::string>* ids) {
  ids->clear();
  if (wire.size() > INT_MAX) return absl::DataLossError("a Diagnosis of 2 GiB or more");
  CodedInputStream input(reinterpret_cast<const uint8_t*>(wire.data()),
                         static_cast<int>(wire.size()));
  while (const uint32_t tag = input.ReadTag()) {
    const bool read = tag == Tag(proto::Diagnosis::kFindingsFieldNumber, kLengthDelimited)
                          ? ReadConclusionId(input, &ids->emplace_back())
                          : SkipField(input, tag);
    if (!read) break;  // not at a legitimate end: reported just below
  }
  if (!input.ConsumedEntireMessage()) {
    return absl::DataLossError(
        absl::StrCat("malformed Diagnosis bytes at offset ", input.CurrentPosition()));
  }
  return absl::OkStatus();
}

namespace {

using Clock = std::chrono::steady_clock;

// The first block of the arena the arena variant writes its answers on.
constexpr size_t kArenaBlockBytes = size_t{1} << 20;

double NanosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// The options ours is measured with: HOW trees kept, as CLIPS keeps its fact list, but no open
// questions and no "would fire if" list, which CLIPS has no counterpart for.
inference::DiagnoseOptions MeasuredOptions() {
  inference::DiagnoseOptions options;
  options.include_explanations = true;
  options.max_questions = 0;
  options.max_would_fire = 0;
  return options;
}

// Nearest rank: the smallest sample with at least `fraction` of the samples at or below it.
double Percentile(std::vector<double> samples, double fraction) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t rank = static_cast<size_t>(std::ceil(fraction * samples.size()));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

Latency Summarize(const std::vector<std::vector<double>>& rounds) {
  Latency latency;
  std::vector<double> all;
  std::vector<double> round_medians;
  for (const std::vector<double>& round : rounds) {
    if (round.empty()) continue;
    all.insert(all.end(), round.begin(), round.end());
    round_medians.push_back(Percentile(round, 0.5));
  }
  if (all.empty()) return latency;
  latency.p50 = Percentile(all, 0.5);
  latency.p99 = Percentile(all, 0.99);
  latency.mean = std::accumulate(all.begin(), all.end(), 0.0) / all.size();
  latency.round_p50_min = *std::min_element(round_medians.begin(), round_medians.end());
  latency.round_p50_max = *std::max_element(round_medians.begin(), round_medians.end());
  return latency;
}

// Runs `step` `runs` times and gives the min and median wall time in milliseconds.
absl::Status TimeRuns(int runs, const std::function<absl::Status()>& step, double* min_ms,
                      double* median_ms) {
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, runs); ++i) {
    const Clock::time_point start = Clock::now();
    RETURN_IF_ERROR(step());
    ms.push_back(NanosSince(start) / 1e6);
  }
  *min_ms = *std::min_element(ms.begin(), ms.end());
  *median_ms = Percentile(ms, 0.5);
  return absl::OkStatus();
}

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

void FindingIds(const proto::Diagnosis& diagnosis, std::vector<std::string>* ids) {
  ids->clear();
  for (const proto::Conclusion& finding : diagnosis.findings()) ids->push_back(finding.id());
}

void FindingIds(const inference::Consultation& consultation, std::vector<std::string>* ids) {
  ids->clear();
  const inference::RuleBase& rules = consultation.rule_base();
  for (int node : consultation.concluded()) {
    const inference::NodeInfo& info = rules.node(node);
    if (info.kind == inference::NodeKind::kFinding) ids->push_back(info.id);
  }
}

// Whether the HOW of a concluded finding shows a fired rule that concludes it, both in the
// compiled rule base and in the workload the rules were generated from.
bool HasFiredRuleConcluding(const Workload& workload, const inference::RuleBase& rules, int node,
                            const proto::Explanation& how) {
  if (!how.concluded() || how.node_id() != rules.node(node).id) return false;
  const int finding = FindingIndex(how.node_id());
  for (const proto::RuleTrace& trace : how.rules()) {
    if (trace.outcome() != proto::RULE_FIRED) continue;
    const std::optional<int> rule = rules.FindRule(trace.rule_id());
    const int generated = RuleIndex(trace.rule_id());
    if (rule && rules.rules()[*rule].conclusion == node && generated >= 0 &&
        generated < static_cast<int>(workload.rules.size()) &&
        workload.rules[generated].conclusion == finding) {
      return true;
    }
  }
  return false;
}

// The engines, built and loaded, with the cases as each takes them, and the arena our answers
// are written on in the arena variant, reused from the gate through every round.
struct Contestants {
  std::unique_ptr<inference::Engine> ours;
  std::unique_ptr<inference::Engine> ours_with_causes;  // when causes_rounds > 0
  std::unique_ptr<ClipsPeer> clips;
  std::vector<proto::Assessment> assessments;
  std::vector<char> arena_block = std::vector<char>(kArenaBlockBytes);
  std::unique_ptr<google::protobuf::Arena> arena;

  Contestants() {
    google::protobuf::ArenaOptions arena_options;
    arena_options.initial_block = arena_block.data();
    arena_options.initial_block_size = arena_block.size();
    arena = std::make_unique<google::protobuf::Arena>(arena_options);
  }
};

// Each variant's findings against CLIPS's (sorted) for one case; a Disagreement per variant
// that differs.
void CompareFindings(int case_index, OursVariant variant, std::vector<std::string> ours,
                     const std::vector<std::string>& clips, SizeResult& result) {
  ours = Sorted(std::move(ours));
  if (ours == clips) return;
  Disagreement d;
  d.case_index = case_index;
  d.variant = variant;
  std::set_difference(ours.begin(), ours.end(), clips.begin(), clips.end(),
                      std::back_inserter(d.only_ours));
  std::set_difference(clips.begin(), clips.end(), ours.begin(), ours.end(),
                      std::back_inserter(d.only_clips));
  result.disagreements.push_back(std::move(d));
}

// A Disagreement naming the concluded findings whose HOW showed no fired rule concluding
// them, if there are any.
void ReportUnexplained(int case_index, OursVariant variant, std::vector<std::string> unexplained,
                       SizeResult& result) {
  if (unexplained.empty()) return;
  Disagreement d;
  d.case_index = case_index;
  d.variant = variant;
  d.unexplained = std::move(unexplained);
  result.disagreements.push_back(std::move(d));
}

absl::Status Gate(const Workload& workload, const ComparisonOptions& options,
                  Contestants& contestants, SizeResult& result) {
  const inference::DiagnoseOptions measured = MeasuredOptions();
  const inference::RuleBase& rules = contestants.ours->rule_base();
  google::protobuf::Arena& arena = *contestants.arena;
  std::vector<std::string> clips_ids, ours_ids, parsed_ids, default_ids;
  int64_t findings = 0, clips_fired = 0, ours_fired = 0, chained_fired = 0, touched = 0,
          questions = 0;
  int64_t explained = 0;
  double explain_ns = 0;
  for (size_t c = 0; c < workload.cases.size(); ++c) {
    const int case_index = static_cast<int>(c);
    const proto::Assessment& assessment = contestants.assessments[c];
    const size_t disagreements_before = result.disagreements.size();
    ASSIGN_OR_RETURN(int64_t fired, contestants.clips->Run(workload.cases[c], &clips_ids));
    clips_ids = Sorted(std::move(clips_ids));

    {
      // The ids as the timed path reads them, then the bytes parsed in full for the HOW.
      std::string wire;
      RETURN_IF_ERROR(contestants.ours->DiagnoseToWire(assessment, measured, &wire));
      RETURN_IF_ERROR(FindingIdsFromWire(wire, &ours_ids));
      proto::Diagnosis parsed;
      if (!parsed.ParseFromString(wire)) {
        return absl::DataLossError(
            absl::StrCat("case ", c, ": the bytes DiagnoseToWire wrote do not parse"));
      }
      FindingIds(parsed, &parsed_ids);
      if (parsed_ids != ours_ids) {
        return absl::InternalError(absl::StrCat(
            "case ", c, ": the finding ids read from the bytes [", absl::StrJoin(ours_ids, ", "),
            "] differ from the parsed Diagnosis's [", absl::StrJoin(parsed_ids, ", "), "]"));
      }
      CompareFindings(case_index, OursVariant::kHowAsWire, ours_ids, clips_ids, result);
      std::vector<std::string> unexplained;
      for (const proto::Conclusion& finding : parsed.findings()) {
        const std::optional<int> node = rules.FindNode(finding.id());
        if (!node || !HasFiredRuleConcluding(workload, rules, *node, finding.explanation())) {
          unexplained.push_back(finding.id());
        }
      }
      ReportUnexplained(case_index, OursVariant::kHowAsWire, std::move(unexplained), result);
    }

    ASSIGN_OR_RETURN(proto::Diagnosis diagnosis, contestants.ours->Diagnose(assessment, measured));
    FindingIds(diagnosis, &ours_ids);
    CompareFindings(case_index, OursVariant::kHowOnHeap, ours_ids, clips_ids, result);

    auto* on_arena = google::protobuf::Arena::CreateMessage<proto::Diagnosis>(&arena);
    RETURN_IF_ERROR(contestants.ours->DiagnoseInto(assessment, measured, on_arena));
    FindingIds(*on_arena, &ours_ids);
    result.arena_peak_bytes =
        std::max<int64_t>(result.arena_peak_bytes, static_cast<int64_t>(arena.SpaceUsed()));
    arena.Reset();
    CompareFindings(case_index, OursVariant::kHowOnArena, ours_ids, clips_ids, result);

    {
      // One consultation for the last two lines: Consult, then EnsureRanges.
      ASSIGN_OR_RETURN(inference::Consultation consultation, contestants.ours->Consult(assessment));
      FindingIds(consultation, &ours_ids);
      CompareFindings(case_index, OursVariant::kHowOnDemand, ours_ids, clips_ids, result);
      // The first explanation would also work out the ranges: that cost is the next line's, not
      // the explanations'.
      consultation.EnsureRanges();
      FindingIds(consultation, &ours_ids);
      CompareFindings(case_index, OursVariant::kWhyNotReady, ours_ids, clips_ids, result);
      std::vector<std::string> unexplained;
      for (int node : consultation.concluded()) {
        if (rules.node(node).kind != inference::NodeKind::kFinding) continue;
        const Clock::time_point start = Clock::now();
        ASSIGN_OR_RETURN(const proto::Explanation how, consultation.Explain(node));
        explain_ns += NanosSince(start);
        ++explained;
        if (!HasFiredRuleConcluding(workload, rules, node, how)) {
          unexplained.push_back(rules.node(node).id);
        }
      }
      ReportUnexplained(case_index, OursVariant::kHowOnDemand, unexplained, result);
      ReportUnexplained(case_index, OursVariant::kWhyNotReady, std::move(unexplained), result);
    }
    if (result.disagreements.size() != disagreements_before) continue;

    if (options.default_options_rounds > 0) {
      ASSIGN_OR_RETURN(proto::Diagnosis full, contestants.ours->Diagnose(assessment));
      FindingIds(full, &default_ids);
      if (Sorted(std::move(default_ids)) != clips_ids) {
        return absl::InternalError(
            absl::StrCat("case ", c, ": default DiagnoseOptions changed the findings concluded"));
      }
    }
    if (contestants.ours_with_causes != nullptr) {
      ASSIGN_OR_RETURN(proto::Diagnosis full, contestants.ours_with_causes->Diagnose(assessment));
      FindingIds(full, &default_ids);
      if (Sorted(std::move(default_ids)) != clips_ids) {
        return absl::InternalError(
            absl::StrCat("case ", c, ": the cause layer changed the findings concluded"));
      }
      questions += full.open_questions_size();
    }

    findings += static_cast<int64_t>(clips_ids.size());
    clips_fired += fired;
    for (const proto::Conclusion& finding : diagnosis.findings()) {
      for (const proto::RuleTrace& rule : finding.explanation().rules()) {
        if (rule.outcome() != proto::RULE_FIRED) continue;
        ++ours_fired;
        const int index = RuleIndex(rule.rule_id());
        if (index >= 0 && index < static_cast<int>(workload.rules.size()) &&
            workload.rules[index].premise_finding >= 0) {
          ++chained_fired;
        }
      }
    }
    std::vector<bool> concluded(workload.findings, false);
    for (const std::string& id : clips_ids) {
      const int index = FindingIndex(id);
      if (index >= 0 && index < workload.findings) concluded[index] = true;
    }
    touched += TouchedRules(workload, workload.cases[c], concluded);
  }
  const double cases = std::max<size_t>(1, workload.cases.size());
  result.findings_per_case = findings / cases;
  result.clips_fired_per_case = clips_fired / cases;
  result.ours_fired_per_case = ours_fired / cases;
  result.chained_fired_per_case = chained_fired / cases;
  result.touched_per_case = touched / cases;
  result.questions_per_case = questions / cases;
  result.explain_ns_per_finding = explained > 0 ? explain_ns / explained : 0;
  return absl::OkStatus();
}

absl::Status Measure(const Workload& workload, const ComparisonOptions& options,
                     Contestants& contestants, SizeResult& result) {
  const size_t cases = workload.cases.size();
  const inference::Engine& ours = *contestants.ours;
  google::protobuf::Arena& arena = *contestants.arena;
  std::vector<std::string> ids;
  // One pass over the cases, each timed on its own.
  using Pass = std::function<absl::Status(std::vector<double>&)>;
  auto timed = [&](const std::function<absl::Status(size_t)>& diagnose) -> Pass {
    return [&, diagnose](std::vector<double>& ns) -> absl::Status {
      for (size_t c = 0; c < cases; ++c) {
        const Clock::time_point start = Clock::now();
        const absl::Status status = diagnose(c);
        ns.push_back(NanosSince(start));
        RETURN_IF_ERROR(status);
      }
      return absl::OkStatus();
    };
  };
  const Pass clips_pass = timed([&](size_t c) -> absl::Status {
    return contestants.clips->Run(workload.cases[c], &ids).status();
  });
  auto diagnose_pass = [&](const inference::DiagnoseOptions& diagnose_options) {
    return timed([&, diagnose_options](size_t c) -> absl::Status {
      // The diagnosis is freed inside the timing, as CLIPS frees its facts in the next reset.
      ASSIGN_OR_RETURN(proto::Diagnosis diagnosis,
                       ours.Diagnose(contestants.assessments[c], diagnose_options));
      FindingIds(diagnosis, &ids);
      return absl::OkStatus();
    });
  };
  const inference::DiagnoseOptions measured = MeasuredOptions();
  const Pass wire_pass = timed([&](size_t c) -> absl::Status {
    // A new string each time, freed inside the timing as the heap variant's Diagnosis is.
    std::string wire;
    RETURN_IF_ERROR(ours.DiagnoseToWire(contestants.assessments[c], measured, &wire));
    return FindingIdsFromWire(wire, &ids);
  });
  const Pass arena_pass = timed([&](size_t c) -> absl::Status {
    auto* diagnosis = google::protobuf::Arena::CreateMessage<proto::Diagnosis>(&arena);
    const absl::Status status = ours.DiagnoseInto(contestants.assessments[c], measured, diagnosis);
    if (status.ok()) FindingIds(*diagnosis, &ids);
    arena.Reset();
    return status;
  });
  const Pass on_demand_pass = timed([&](size_t c) -> absl::Status {
    // The consultation returns its evaluation to the pool inside the timing.
    ASSIGN_OR_RETURN(inference::Consultation consultation,
                     ours.Consult(contestants.assessments[c]));
    FindingIds(consultation, &ids);
    return absl::OkStatus();
  });
  const Pass why_not_ready_pass = timed([&](size_t c) -> absl::Status {
    ASSIGN_OR_RETURN(inference::Consultation consultation,
                     ours.Consult(contestants.assessments[c]));
    consultation.EnsureRanges();
    FindingIds(consultation, &ids);
    return absl::OkStatus();
  });

  // CLIPS, then ours in the order of OursVariant; round r starts with contestant r mod their
  // number.
  const std::vector<Pass> passes = {clips_pass, wire_pass,      diagnose_pass(measured),
                                    arena_pass, on_demand_pass, why_not_ready_pass};
  static_assert(kOursVariants == 5 && static_cast<int>(OursVariant::kHowAsWire) == 0 &&
                static_cast<int>(OursVariant::kHowOnHeap) == 1 &&
                static_cast<int>(OursVariant::kHowOnArena) == 2 &&
                static_cast<int>(OursVariant::kHowOnDemand) == 3 &&
                static_cast<int>(OursVariant::kWhyNotReady) == 4);
  std::vector<std::vector<std::vector<double>>> ns(
      passes.size(), std::vector<std::vector<double>>(options.rounds));
  for (int r = 0; r < options.rounds; ++r) {
    for (size_t k = 0; k < passes.size(); ++k) {
      const size_t contestant = (r + k) % passes.size();
      RETURN_IF_ERROR(passes[contestant](ns[contestant][r]));
    }
  }
  std::vector<std::vector<double>> default_ns(options.default_options_rounds);
  const Pass default_pass = diagnose_pass(inference::DiagnoseOptions{});
  for (std::vector<double>& round : default_ns) RETURN_IF_ERROR(default_pass(round));
  std::vector<std::vector<double>> causes_ns;
  if (contestants.ours_with_causes != nullptr) {
    causes_ns.resize(options.causes_rounds);
    const Pass causes_pass = timed([&](size_t c) -> absl::Status {
      ASSIGN_OR_RETURN(proto::Diagnosis diagnosis,
                       contestants.ours_with_causes->Diagnose(contestants.assessments[c]));
      FindingIds(diagnosis, &ids);
      return absl::OkStatus();
    });
    for (std::vector<double>& round : causes_ns) RETURN_IF_ERROR(causes_pass(round));
  }

  result.clips = Summarize(ns[0]);
  for (OursVariant variant : kAllOursVariants) {
    result.ours[static_cast<int>(variant)] = Summarize(ns[1 + static_cast<int>(variant)]);
  }
  result.ours_default_options = Summarize(default_ns);
  result.ours_with_causes = Summarize(causes_ns);
  return absl::OkStatus();
}

// Microseconds, with as many decimals as make sense at that size.
std::string Micros(double ns) {
  const double us = ns / 1e3;
  if (us < 10) return absl::StrFormat("%.2f", us);
  if (us < 1000) return absl::StrFormat("%.1f", us);
  return absl::StrFormat("%.0f", us);
}

std::string Millis(double ms) { return absl::StrFormat(ms < 10 ? "%.2f" : "%.1f", ms); }

std::string Ratio(double clips, double ours) {
  if (ours <= 0) return "-";
  const double ratio = clips / ours;
  return absl::StrFormat(ratio < 0.1 ? "%.4f" : "%.2f", ratio);
}

std::string Fired(const SizeResult& r) {
  if (r.clips_fired_per_case == r.ours_fired_per_case) {
    return absl::StrFormat("%.2f", r.clips_fired_per_case);
  }
  return absl::StrFormat("%.2f (CLIPS) / %.2f (ours)", r.clips_fired_per_case,
                         r.ours_fired_per_case);
}

std::string NsPer(double ns, double count) {
  return count > 0 ? absl::StrFormat("%.0f", ns / count) : std::string("-");
}

std::string Setup(const ComparisonOptions& options) {
  std::vector<absl::string_view> order = {"CLIPS"};
  for (OursVariant variant : kAllOursVariants) order.push_back(OursVariantName(variant));
  return absl::StrCat(
      options.rounds, options.rounds == 1 ? " round" : " rounds",
      "; in each, every contestant diagnoses every case in turn, in the order ",
      absl::StrJoin(order, "; "),
      ", rotated by one each round so that none always goes first. CLIPS facts: ",
      ClipsLayoutName(options.clips_layout), ", asserted with ",
      ClipsAssertName(options.clips_assert), ". A CLIPS diagnosis is EnvReset + asserts + "
      "EnvRun + reading the findings off the fact list; each of ours starts from a prebuilt "
      "Assessment and ends with the finding ids read (what each includes is under the tables). "
      "The CLIPS is Debian 12's libclips 6.30, which is compiled without optimisation (its code "
      "keeps every local on the stack): an optimised build of CLIPS would be faster than "
      "measured here.");
}

constexpr char kColumns[] =
    "found/case: findings concluded; fired/case: rules fired (CLIPS's count; ours from the HOW "
    "trees when it differs); chained: fired rules that read a finding; touched: rules reading "
    "an observed indicator or a concluded finding; ns/touched and ns/rule: mean latency per "
    "touched rule and per rule in the base. p99 on a busy machine includes preemption by "
    "other processes.";

// What each line of ours includes, as (line name, text), for the notes under the tables.
constexpr char kWithCausesLine[] = "ours, default options, with causes";

std::vector<std::pair<std::string, std::string>> VariantNotes(const std::vector<SizeResult>& results,
                                      const ComparisonOptions& options) {
  std::vector<std::string> explain_costs, arena_peaks;
  for (const SizeResult& r : results) {
    explain_costs.push_back(absl::StrFormat("%s us at %d rules",
                                            Micros(r.explain_ns_per_finding), r.spec.rules));
    arena_peaks.push_back(absl::StrFormat("%.0f KiB at %d rules",
                                          r.arena_peak_bytes / 1024.0, r.spec.rules));
  }
  std::vector<std::pair<std::string, std::string>> notes = {
      {std::string(OursVariantName(OursVariant::kHowAsWire)),
       absl::StrCat(
          "Engine::DiagnoseToWire with DiagnoseOptions{include_explanations = true, "
          "max_questions = 0, max_would_fire = 0}: validates and evaluates the assessment, then "
          "writes the serialised bytes of alignment.v1.Diagnosis, with every concluded node and "
          "its HOW explanation (a trace of each fired rule with every condition's actual and "
          "expected value, and the same in sentences), into a new std::string without building "
          "the message: what a service sends. Also inside the timing, the finding ids are read "
          "from the bytes (a CodedInputStream walk over the top-level fields that skips every "
          "field but `findings` by its length and, in each finding, copies only `id` into the "
          "same reused vector of strings the other variants copy their ids into), and the "
          "string is freed. No Diagnosis message is built in the timed path; outside it, the "
          "gate parses the bytes into one, checks that it lists the same finding ids as were "
          "read, and checks that each concluded finding's HOW shows a fired rule concluding "
          "it.")},
      {std::string(OursVariantName(OursVariant::kHowOnHeap)),
       absl::StrCat(
          "Engine::Diagnose with the same options: the same bytes, written by the same code "
          "into a temporary std::string, then parsed in full (ParseFromString) into a "
          "Diagnosis on the heap, so this is the wire line's write plus a parse into a "
          "message; the finding ids are copied from its findings and the Diagnosis is freed "
          "inside the timing.")},
      {std::string(OursVariantName(OursVariant::kHowOnArena)),
       absl::StrCat(
          "Engine::DiagnoseInto with the same options: the same bytes, written into a temporary "
          "std::string on the heap, then parsed in full into a Diagnosis created on a reused "
          "protobuf arena whose first block is a ",
          kArenaBlockBytes >> 20,
          " MiB buffer; the finding ids are copied from its findings and Arena::Reset() runs "
          "inside the timing. Most arena space one diagnosis took in the gate: ",
          absl::StrJoin(arena_peaks, ", "), ".")},
      {std::string(OursVariantName(OursVariant::kHowOnDemand)),
       absl::StrCat(
          "Engine::Consult: the same validation, and the evaluation of what is known: every "
          "rule's premise and contribution and every node's certainty are kept, from which the "
          "HOW (or WHY NOT) tree of any node is rendered by Consultation::Explain. What could "
          "still change once unknowns are known (each conclusion's range, which rules are "
          "blocked by an unknown) is worked out when first asked for, by the first "
          "explanation; the next line pays for it up front. The finding ids are read from "
          "concluded() and the consultation is destroyed (its evaluation returned to the pool) "
          "inside the timing. No Diagnosis and no HOW trace or text is built in the timed "
          "path. The gate renders "
          "the HOW of every concluded finding of every case and checks that it shows a fired "
          "rule concluding that finding; one rendering (every rule concluding the node, fired "
          "or not) took on average ",
          absl::StrJoin(explain_costs, ", "),
          " in the gate (with the ranges already worked out), a cost to add per explanation a "
          "caller asks for; the first explanation also pays for the ranges, the difference "
          "between this line and the next.")},
      {std::string(OursVariantName(OursVariant::kWhyNotReady)),
       absl::StrCat(
          "Engine::Consult, then Consultation::EnsureRanges inside the timing: everything the "
          "line above keeps, and each conclusion's range and each rule's outcome over what the "
          "unknowns could still be, so that no explanation, WHY NOT or open question has "
          "anything left to evaluate. This is what Consult kept before the ranges were left "
          "until asked for.")},
  };
  if (options.default_options_rounds > 0) {
    notes.emplace_back("ours, default options", absl::StrCat(
        "Engine::Diagnose with default DiagnoseOptions (HOW written, 5 "
        "open questions, the first 10 would-fire rules listed), written and parsed as in the heap "
        "line, ",
        options.default_options_rounds,
        " round(s) after the rotating ones; work CLIPS does not do."));
  }
  if (options.causes_rounds > 0) {
    std::vector<std::string> causes, questions;
    for (const SizeResult& r : results) {
      causes.push_back(absl::StrFormat("%d at %d rules", r.causes, r.spec.rules));
      questions.push_back(absl::StrFormat("%.2f at %d rules", r.questions_per_case, r.spec.rules));
    }
    notes.emplace_back(kWithCausesLine, absl::StrCat(
        "Engine::Diagnose with default DiagnoseOptions, as the 'ours, default options' line, "
        "on the workload with causes over its findings (CauseLayerFile; ",
        absl::StrJoin(causes, ", "), "), each concluded by three rules reading one or two "
        "findings, so that the open-question search has causes to rank unknown indicators by "
        "(the workload alone has none): questions asked per case ",
        absl::StrJoin(questions, ", "), "; ", options.causes_rounds,
        " round(s) after the rotating ones; work CLIPS does not do."));
  }
  return notes;
}

// The latency lines of one size: CLIPS, each variant of ours, then default options if measured.
struct LatencyLine {
  std::string engine;
  const Latency* latency;
  std::string ratio;  // CLIPS p50 / this p50; empty for CLIPS
};

std::vector<LatencyLine> LatencyLines(const SizeResult& r, const ComparisonOptions& options) {
  std::vector<LatencyLine> lines = {{"CLIPS", &r.clips, ""}};
  for (OursVariant variant : kAllOursVariants) {
    const Latency& latency = r.Ours(variant);
    lines.push_back({std::string(OursVariantName(variant)), &latency,
                     Ratio(r.clips.p50, latency.p50)});
  }
  if (options.default_options_rounds > 0) {
    lines.push_back({"ours, default options", &r.ours_default_options,
                     Ratio(r.clips.p50, r.ours_default_options.p50)});
  }
  if (options.causes_rounds > 0) {
    lines.push_back({kWithCausesLine, &r.ours_with_causes,
                     Ratio(r.clips.p50, r.ours_with_causes.p50)});
  }
  return lines;
}

}  // namespace

absl::StatusOr<SizeResult> CompareOnWorkload(const WorkloadSpec& spec,
                                             const ComparisonOptions& options) {
  const Workload workload = GenerateWorkload(spec);
  SizeResult result;
  result.spec = spec;
  result.indicators = workload.indicators;
  result.findings = workload.findings;
  result.max_chain_depth = workload.max_chain_depth;

  Contestants contestants;
  const std::vector<inference::SourceFile> files = RuleFiles(workload);
  std::shared_ptr<const inference::RuleBase> rule_base;
  RETURN_IF_ERROR(TimeRuns(
      options.compile_runs,
      [&]() -> absl::Status {
        inference::CompileResult compiled = inference::CompileRuleBase(files);
        if (compiled.rule_base == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "the generated rule base does not compile:\n", compiled.diagnostics.Format()));
        }
        rule_base = std::move(compiled.rule_base);
        return absl::OkStatus();
      },
      &result.ours_compile_min_ms, &result.ours_compile_median_ms));
  contestants.ours = std::make_unique<inference::Engine>(std::move(rule_base));
  if (options.causes_rounds > 0) {
    std::vector<inference::SourceFile> with_causes = files;
    with_causes.push_back(CauseLayerFile(workload));
    inference::CompileResult compiled = inference::CompileRuleBase(with_causes);
    if (compiled.rule_base == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the generated rule base with causes does not compile:\n",
          compiled.diagnostics.Format()));
    }
    contestants.ours_with_causes = std::make_unique<inference::Engine>(compiled.rule_base);
    result.causes = CauseCount(workload);
  }

  const std::vector<std::string> constructs = ClipsConstructs(workload, options.clips_layout);
  RETURN_IF_ERROR(TimeRuns(
      options.compile_runs,
      [&]() -> absl::Status {
        contestants.clips.reset();  // one environment at a time
        ASSIGN_OR_RETURN(contestants.clips,
                         ClipsPeer::Create(constructs, options.clips_layout, workload.indicators,
                                           options.clips_assert));
        return absl::OkStatus();
      },
      &result.clips_load_min_ms, &result.clips_load_median_ms));

  for (const Case& c : workload.cases) contestants.assessments.push_back(ToAssessment(c));

  RETURN_IF_ERROR(Gate(workload, options, contestants, result));
  if (!result.disagreements.empty()) return result;
  RETURN_IF_ERROR(Measure(workload, options, contestants, result));
  return result;
}

std::string FormatDisagreements(const SizeResult& result) {
  std::string out;
  for (const Disagreement& d : result.disagreements) {
    absl::StrAppend(&out, result.spec.rules, " rules, case ", d.case_index, ", ",
                    OursVariantName(d.variant), ":");
    if (!d.only_ours.empty() || !d.only_clips.empty()) {
      absl::StrAppend(&out, " only ours [", absl::StrJoin(d.only_ours, ", "), "], only CLIPS [",
                      absl::StrJoin(d.only_clips, ", "), "]");
    }
    if (!d.unexplained.empty()) {
      absl::StrAppend(&out, " HOW shows no fired rule concluding [",
                      absl::StrJoin(d.unexplained, ", "), "]");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string FormatTable(const std::vector<SizeResult>& results, const ComparisonOptions& options) {
  std::string out =
      absl::StrCat("Our engine against CLIPS 6.30, seed ",
                   results.empty() ? 0 : results[0].spec.seed, ".\n", Setup(options), "\n\n");
  absl::StrAppend(&out,
                  "Workload (every case gave the same findings in CLIPS and every variant of "
                  "ours, each with a HOW)\n");
  absl::StrAppend(&out, absl::StrFormat("%7s %10s %8s %6s %8s %6s %9s %13s %9s %9s\n", "rules",
                                        "indicators", "findings", "depth", "obs/case", "cases",
                                        "found/case", "fired/case", "chained", "touched"));
  for (const SizeResult& r : results) {
    absl::StrAppend(
        &out, absl::StrFormat("%7d %10d %8d %6d %8d %6d %9.2f %13s %9.3f %9.1f\n", r.spec.rules,
                              r.indicators, r.findings, r.max_chain_depth,
                              r.spec.observations_per_case, r.spec.cases, r.findings_per_case,
                              Fired(r), r.chained_fired_per_case, r.touched_per_case));
  }
  absl::StrAppend(&out, "\nBuilding the rule base, ms (min / median of ", options.compile_runs,
                  ")\n");
  absl::StrAppend(&out, absl::StrFormat("%7s %22s %22s\n", "rules", "ours CompileRuleBase",
                                        "CLIPS env + EnvBuild"));
  for (const SizeResult& r : results) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "%7d %22s %22s\n", r.spec.rules,
            absl::StrCat(Millis(r.ours_compile_min_ms), " / ", Millis(r.ours_compile_median_ms)),
            absl::StrCat(Millis(r.clips_load_min_ms), " / ", Millis(r.clips_load_median_ms))));
  }
  absl::StrAppend(&out, "\nOne diagnosis, microseconds\n");
  absl::StrAppend(&out, absl::StrFormat("%7s  %-34s %9s %9s %9s %21s %11s %12s %11s\n", "rules",
                                        "engine", "p50", "p99", "mean", "round p50 min-max",
                                        "CLIPS/ours", "ns/touched", "ns/rule"));
  for (const SizeResult& r : results) {
    for (const LatencyLine& line : LatencyLines(r, options)) {
      const Latency& l = *line.latency;
      absl::StrAppend(
          &out,
          absl::StrFormat("%7d  %-34s %9s %9s %9s %21s %11s %12s %11s\n", r.spec.rules,
                          line.engine, Micros(l.p50), Micros(l.p99), Micros(l.mean),
                          absl::StrCat(Micros(l.round_p50_min), " - ", Micros(l.round_p50_max)),
                          line.ratio, NsPer(l.mean, r.touched_per_case),
                          NsPer(l.mean, r.spec.rules)));
    }
  }
  absl::StrAppend(&out, "\n", kColumns, "\n");
  for (const auto& [line, text] : VariantNotes(results, options)) {
    absl::StrAppend(&out, "'", line, "': ", text, "\n");
  }
  return out;
}

std::string FormatMarkdown(const std::vector<SizeResult>& results,
                           const ComparisonOptions& options) {
  std::string out = absl::StrCat(
      "## Our engine against CLIPS 6.30 (bench/compare)\n\n",
      "Generated workloads (`compare_bench`, seed ", results.empty() ? 0 : results[0].spec.seed,
      "): three quarters of the rules compare two number indicators, every fourth reads a "
      "finding an earlier rule concludes and one indicator; cf 1, so the gate compares the sets "
      "of concluded findings, which agreed with CLIPS's for every case and every variant of "
      "ours, and every concluded finding's HOW, in the wire bytes and rendered from a "
      "consultation, showed a fired rule concluding it. ",
      Setup(options), "\n\n");
  absl::StrAppend(&out,
                  "| rules | indicators | findings | chain depth | obs/case | cases | "
                  "findings/case | fired/case | chained fired/case | touched/case | "
                  "ours compile ms (min / median) | CLIPS load ms (min / median) |\n"
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : results) {
    absl::StrAppend(
        &out, absl::StrFormat("| %d | %d | %d | %d | %d | %d | %.2f | %s | %.3f | %.1f | %s / %s "
                              "| %s / %s |\n",
                              r.spec.rules, r.indicators, r.findings, r.max_chain_depth,
                              r.spec.observations_per_case, r.spec.cases, r.findings_per_case,
                              Fired(r), r.chained_fired_per_case, r.touched_per_case,
                              Millis(r.ours_compile_min_ms), Millis(r.ours_compile_median_ms),
                              Millis(r.clips_load_min_ms), Millis(r.clips_load_median_ms)));
  }
  absl::StrAppend(&out,
                  "\nOne diagnosis, microseconds:\n\n"
                  "| rules | engine | p50 | p99 | mean | round p50 min–max | CLIPS p50 / ours p50 "
                  "| ns per touched rule | ns per rule in base |\n"
                  "|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : results) {
    for (const LatencyLine& line : LatencyLines(r, options)) {
      const Latency& l = *line.latency;
      absl::StrAppend(
          &out, absl::StrFormat("| %d | %s | %s | %s | %s | %s–%s | %s | %s | %s |\n", r.spec.rules,
                                line.engine, Micros(l.p50), Micros(l.p99), Micros(l.mean),
                                Micros(l.round_p50_min), Micros(l.round_p50_max), line.ratio,
                                NsPer(l.mean, r.touched_per_case), NsPer(l.mean, r.spec.rules)));
    }
  }
  absl::StrAppend(&out, "\n", kColumns, "\n\n");
  for (const auto& [line, text] : VariantNotes(results, options)) {
    absl::StrAppend(&out, "- *", line, "*: ", text, "\n");
  }
  return out;
}

}  // namespace align::bench
