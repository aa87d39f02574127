#include "bench/compare/comparison.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iterator>
#include <memory>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "inference/engine.h"
#include "inference/rulebase/compiler.h"
#include "inference/util/status_macros.h"

namespace align::bench {
namespace {

using Clock = std::chrono::steady_clock;

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

// The engines, built and loaded, with the cases as each takes them.
struct Contestants {
  std::unique_ptr<inference::Engine> ours;
  std::unique_ptr<ClipsPeer> clips;
  std::vector<proto::Assessment> assessments;
};

absl::Status Gate(const Workload& workload, const ComparisonOptions& options,
                  Contestants& contestants, SizeResult& result) {
  const inference::DiagnoseOptions measured = MeasuredOptions();
  std::vector<std::string> ours_ids, clips_ids, default_ids;
  int64_t findings = 0, clips_fired = 0, ours_fired = 0, chained_fired = 0, touched = 0;
  for (size_t c = 0; c < workload.cases.size(); ++c) {
    ASSIGN_OR_RETURN(proto::Diagnosis diagnosis,
                     contestants.ours->Diagnose(contestants.assessments[c], measured));
    FindingIds(diagnosis, &ours_ids);
    ASSIGN_OR_RETURN(int64_t fired, contestants.clips->Run(workload.cases[c], &clips_ids));
    ours_ids = Sorted(std::move(ours_ids));
    clips_ids = Sorted(std::move(clips_ids));
    if (ours_ids != clips_ids) {
      Disagreement d;
      d.case_index = static_cast<int>(c);
      std::set_difference(ours_ids.begin(), ours_ids.end(), clips_ids.begin(), clips_ids.end(),
                          std::back_inserter(d.only_ours));
      std::set_difference(clips_ids.begin(), clips_ids.end(), ours_ids.begin(), ours_ids.end(),
                          std::back_inserter(d.only_clips));
      result.disagreements.push_back(std::move(d));
      continue;
    }
    if (options.default_options_rounds > 0) {
      ASSIGN_OR_RETURN(proto::Diagnosis full,
                       contestants.ours->Diagnose(contestants.assessments[c]));
      FindingIds(full, &default_ids);
      if (Sorted(std::move(default_ids)) != ours_ids) {
        return absl::InternalError(
            absl::StrCat("case ", c, ": default DiagnoseOptions changed the findings concluded"));
      }
    }

    findings += static_cast<int64_t>(ours_ids.size());
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
    for (const std::string& id : ours_ids) {
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
  return absl::OkStatus();
}

absl::Status Measure(const Workload& workload, const ComparisonOptions& options,
                     Contestants& contestants, SizeResult& result) {
  const size_t cases = workload.cases.size();
  std::vector<std::string> ids;
  auto clips_pass = [&](std::vector<double>& ns) -> absl::Status {
    for (size_t c = 0; c < cases; ++c) {
      const Clock::time_point start = Clock::now();
      absl::StatusOr<int64_t> fired = contestants.clips->Run(workload.cases[c], &ids);
      ns.push_back(NanosSince(start));
      if (!fired.ok()) return fired.status();
    }
    return absl::OkStatus();
  };
  auto ours_pass = [&](const inference::DiagnoseOptions& diagnose_options,
                       std::vector<double>& ns) -> absl::Status {
    for (size_t c = 0; c < cases; ++c) {
      absl::Status status;
      const Clock::time_point start = Clock::now();
      {
        absl::StatusOr<proto::Diagnosis> diagnosis =
            contestants.ours->Diagnose(contestants.assessments[c], diagnose_options);
        if (diagnosis.ok()) {
          FindingIds(*diagnosis, &ids);
        } else {
          status = diagnosis.status();
        }
      }  // the diagnosis is freed inside the timing, as CLIPS frees its facts in the next reset
      ns.push_back(NanosSince(start));
      RETURN_IF_ERROR(status);
    }
    return absl::OkStatus();
  };

  const inference::DiagnoseOptions measured = MeasuredOptions();
  std::vector<std::vector<double>> clips_ns(options.rounds), ours_ns(options.rounds);
  for (int r = 0; r < options.rounds; ++r) {
    if (r % 2 == 0) {
      RETURN_IF_ERROR(clips_pass(clips_ns[r]));
      RETURN_IF_ERROR(ours_pass(measured, ours_ns[r]));
    } else {
      RETURN_IF_ERROR(ours_pass(measured, ours_ns[r]));
      RETURN_IF_ERROR(clips_pass(clips_ns[r]));
    }
  }
  std::vector<std::vector<double>> default_ns(options.default_options_rounds);
  for (std::vector<double>& round : default_ns) {
    RETURN_IF_ERROR(ours_pass(inference::DiagnoseOptions{}, round));
  }
  result.clips = Summarize(clips_ns);
  result.ours = Summarize(ours_ns);
  result.ours_default_options = Summarize(default_ns);
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
  return absl::StrCat(
      options.rounds, " alternating rounds (CLIPS first in even rounds, ours first in odd). ",
      "CLIPS facts: ", ClipsLayoutName(options.clips_layout), ", asserted with ",
      ClipsAssertName(options.clips_assert), ". Ours: DiagnoseOptions{include_explanations = "
      "true, max_questions = 0, max_would_fire = 0}. A CLIPS diagnosis is EnvReset + asserts + "
      "EnvRun + reading the findings off the fact list; ours is Engine::Diagnose on a prebuilt "
      "Assessment + reading the finding ids. The CLIPS is Debian 12's libclips 6.30, which is "
      "compiled without optimisation (its code keeps every local on the stack): an optimised "
      "build of CLIPS would be faster than measured here.");
}

constexpr char kColumns[] =
    "found/case: findings concluded; fired/case: rules fired (CLIPS's count; ours from the HOW "
    "trees when it differs); chained: fired rules that read a finding; touched: rules reading "
    "an observed indicator or a concluded finding; ns/touched and ns/rule: mean latency per "
    "touched rule and per rule in the base. p99 on a busy machine includes preemption by "
    "other processes.";

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
    absl::StrAppend(&out, result.spec.rules, " rules, case ", d.case_index, ": only ours [",
                    absl::StrJoin(d.only_ours, ", "), "], only CLIPS [",
                    absl::StrJoin(d.only_clips, ", "), "]\n");
  }
  return out;
}

std::string FormatTable(const std::vector<SizeResult>& results, const ComparisonOptions& options) {
  std::string out =
      absl::StrCat("Our engine against CLIPS 6.30, seed ",
                   results.empty() ? 0 : results[0].spec.seed, ".\n", Setup(options), "\n\n");
  absl::StrAppend(&out, "Workload (every case gave the same findings in both engines)\n");
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
  absl::StrAppend(&out, absl::StrFormat("%7s  %-24s %9s %9s %9s %21s %11s %12s %11s\n", "rules",
                                        "engine", "p50", "p99", "mean", "round p50 min-max",
                                        "CLIPS/ours", "ns/touched", "ns/rule"));
  for (const SizeResult& r : results) {
    auto line = [&](absl::string_view engine, const Latency& l, std::string ratio) {
      absl::StrAppend(
          &out,
          absl::StrFormat("%7d  %-24s %9s %9s %9s %21s %11s %12s %11s\n", r.spec.rules, engine,
                          Micros(l.p50), Micros(l.p99), Micros(l.mean),
                          absl::StrCat(Micros(l.round_p50_min), " - ", Micros(l.round_p50_max)),
                          ratio, NsPer(l.mean, r.touched_per_case), NsPer(l.mean, r.spec.rules)));
    };
    line("CLIPS", r.clips, "");
    line("ours", r.ours, Ratio(r.clips.p50, r.ours.p50));
    if (options.default_options_rounds > 0) {
      line("ours, default options", r.ours_default_options,
           Ratio(r.clips.p50, r.ours_default_options.p50));
    }
  }
  absl::StrAppend(&out, "\n", kColumns, "\n");
  if (options.default_options_rounds > 0) {
    absl::StrAppend(&out,
                    "'ours, default options': default DiagnoseOptions (5 open questions, "
                    "every would-fire rule listed), ",
                    options.default_options_rounds,
                    " round(s) after the alternating ones; work CLIPS does not do.\n");
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
      "of concluded findings, which agreed for every case. ",
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
    auto row = [&](absl::string_view engine, const Latency& l, std::string ratio) {
      absl::StrAppend(
          &out, absl::StrFormat("| %d | %s | %s | %s | %s | %s–%s | %s | %s | %s |\n", r.spec.rules,
                                engine, Micros(l.p50), Micros(l.p99), Micros(l.mean),
                                Micros(l.round_p50_min), Micros(l.round_p50_max), ratio,
                                NsPer(l.mean, r.touched_per_case), NsPer(l.mean, r.spec.rules)));
    };
    row("CLIPS", r.clips, "");
    row("ours", r.ours, Ratio(r.clips.p50, r.ours.p50));
    if (options.default_options_rounds > 0) {
      row("ours, default options", r.ours_default_options,
          Ratio(r.clips.p50, r.ours_default_options.p50));
    }
  }
  absl::StrAppend(&out, "\n", kColumns, "\n");
  if (options.default_options_rounds > 0) {
    absl::StrAppend(&out,
                    "\n*ours, default options*: default `DiagnoseOptions` (5 open "
                    "questions, every would-fire rule listed), ",
                    options.default_options_rounds,
                    " round(s) after the alternating ones: work CLIPS does not do.\n");
  }
  return out;
}

}  // namespace align::bench
