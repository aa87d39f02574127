#include "clients/rules_test_command.h"

#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/report.h"
#include "inference/util/format.h"
#include "clients/cli.h"
#include "inference/engine.h"
#include "inference/rulebase/loader.h"
#include "inference/scenario/scenario.h"

namespace align::clients {
namespace {

namespace fs = std::filesystem;
using inference::ScenarioCoverage;
using inference::ScenarioResult;
using inference::SourceLocation;

constexpr char kUsage[] =
    "usage: alignctl rules test DIR [--scenarios PATH] [--coverage-threshold N] "
    "[--format text|json]\n";

// A scenario file that could not be read or parsed; `message` has one problem per line.
struct FileError {
  std::string file;
  std::string message;
};

struct Report {
  std::vector<ScenarioResult> results;
  std::vector<FileError> errors;
  int passed = 0;
  int failed = 0;
};

std::string Percent(double value) { return absl::StrFormat("%.1f%%", value); }

std::string At(const SourceLocation& at) {
  return at.line > 0 ? absl::StrCat(at.file.str(), ":", at.line, ":", at.column) : at.file.str();
}

std::string Indent(const std::string& text, absl::string_view prefix) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, prefix, line, "\n");
  }
  return out;
}


std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(inference::JsonQuote(item));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

std::string JsonLocation(const SourceLocation& at) {
  return absl::StrCat("\"file\": ", inference::JsonQuote(at.file.str()), ", \"line\": ", at.line,
                      ", \"column\": ", at.column);
}

void PrintText(const Report& report, const ScenarioCoverage& coverage,
               std::optional<double> threshold, const inference::RuleBase& rules,
               std::ostream& out) {
  for (const FileError& error : report.errors) {
    out << "ERROR " << error.file << "\n" << Indent(error.message, "  ");
  }
  for (const ScenarioResult& result : report.results) {
    out << (result.passed() ? "PASS " : "FAIL ") << result.name << "\n";
    for (const inference::ScenarioFailure& failure : result.failures) {
      out << "  " << At(failure.location) << ": " << failure.message << "\n";
      if (!failure.explanation.empty()) out << Indent(failure.explanation, "    ");
    }
  }
  out << "\n"
      << report.results.size() << " scenario" << (report.results.size() == 1 ? "" : "s") << ", "
      << report.passed << " passed, " << report.failed << " failed";
  if (!report.errors.empty()) {
    out << ", " << report.errors.size() << " file" << (report.errors.size() == 1 ? "" : "s")
        << " with errors";
  }
  out << "\n";
  out << "rules: " << coverage.rules_fired() << "/" << coverage.rule_count() << " fired ("
      << Percent(coverage.rule_percent()) << ")\n";
  out << "conditions: " << coverage.conditions_covered() << "/" << coverage.condition_count()
      << " seen both true and false (" << Percent(coverage.condition_percent()) << ")\n";
  // Lists only once something ran: otherwise they name the whole rule base.
  if (std::vector<std::string> ids = coverage.NeverFired();
      coverage.scenario_count() > 0 && !ids.empty()) {
    out << "never fired: " << absl::StrJoin(ids, ", ") << "\n";
  }
  if (std::vector<std::string> ids = coverage.NeverConcluded();
      coverage.scenario_count() > 0 && !ids.empty()) {
    out << "never concluded: " << absl::StrJoin(ids, ", ") << "\n";
  }
  if (threshold && coverage.rule_percent() < *threshold) {
    out << "FAIL coverage: " << Percent(coverage.rule_percent()) << " of the rules of "
        << rules.id() << " fired, below the threshold of " << absl::StrFormat("%g", *threshold)
        << "%\n";
  }
}

void PrintJson(const Report& report, const ScenarioCoverage& coverage,
               std::optional<double> threshold, const inference::RuleBase& rules,
               bool passed, std::ostream& out) {
  std::vector<std::string> scenarios;
  for (const ScenarioResult& result : report.results) {
    std::vector<std::string> failures;
    for (const inference::ScenarioFailure& failure : result.failures) {
      failures.push_back(absl::StrCat("{", JsonLocation(failure.location),
                                      ", \"message\": ", inference::JsonQuote(failure.message),
                                      ", \"explanation\": ", inference::JsonQuote(failure.explanation),
                                      "}"));
    }
    scenarios.push_back(absl::StrCat(
        "{\"name\": ", inference::JsonQuote(result.name), ", ", JsonLocation(result.location),
        ", \"passed\": ", result.passed() ? "true" : "false", ", \"failures\": [",
        absl::StrJoin(failures, ", "), "]}"));
  }
  std::vector<std::string> errors;
  for (const FileError& error : report.errors) {
    errors.push_back(absl::StrCat("{\"file\": ", inference::JsonQuote(error.file),
                                  ", \"message\": ", inference::JsonQuote(error.message), "}"));
  }
  std::vector<std::string> never_true, never_false;
  for (const inference::ConditionCoverage& c : coverage.conditions()) {
    const std::string item =
        absl::StrCat("{\"rule\": ", inference::JsonQuote(rules.rules()[c.rule].id),
                     ", \"condition\": ", inference::JsonQuote(c.text), "}");
    if (!c.seen_true) never_true.push_back(item);
    if (!c.seen_false) never_false.push_back(item);
  }
  out << "{\"rule_base\": " << inference::JsonQuote(rules.id()) << ", \"version\": "
      << inference::JsonQuote(rules.version()) << ",\n \"scenarios\": ["
      << (scenarios.empty() ? "" : "\n  ") << absl::StrJoin(scenarios, ",\n  ") << "],\n"
      << " \"errors\": [" << absl::StrJoin(errors, ", ") << "],\n"
      << " \"summary\": {\"scenarios\": " << report.results.size()
      << ", \"passed\": " << report.passed << ", \"failed\": " << report.failed
      << ", \"files_with_errors\": " << report.errors.size() << "},\n"
      << " \"coverage\": {\"rules\": {\"fired\": " << coverage.rules_fired()
      << ", \"total\": " << coverage.rule_count()
      << ", \"percent\": " << absl::StrFormat("%.1f", coverage.rule_percent()) << "},"
      << " \"conditions\": {\"covered\": " << coverage.conditions_covered()
      << ", \"total\": " << coverage.condition_count()
      << ", \"percent\": " << absl::StrFormat("%.1f", coverage.condition_percent()) << "},\n"
      << "  \"never_fired\": " << JsonList(coverage.NeverFired()) << ",\n"
      << "  \"never_concluded\": " << JsonList(coverage.NeverConcluded()) << ",\n"
      << "  \"conditions_never_true\": [" << absl::StrJoin(never_true, ", ") << "],\n"
      << "  \"conditions_never_false\": [" << absl::StrJoin(never_false, ", ") << "]},\n"
      << " \"coverage_threshold\": "
      << (threshold ? absl::StrFormat("%g", *threshold) : std::string("null"))
      << ", \"passed\": " << (passed ? "true" : "false") << "}\n";
}

}  // namespace

int RunRulesTest(const std::vector<std::string>& positional,
                 const std::map<std::string, std::string>& values,
                 const std::set<std::string>& switches, std::ostream& out, std::ostream& err) {
  if (positional.size() != 3) {
    err << "alignctl: rules test takes one rule folder\n" << kUsage;
    return kExitUsage;
  }
  if (values.count("server") != 0 || switches.count("local") != 0 || values.count("rules") != 0) {
    err << "alignctl: rules test runs the engine in this process on the rule folder it is given; "
           "drop --server, --local and --rules\n"
        << kUsage;
    return kExitUsage;
  }
  std::string format = "text";
  if (auto it = values.find("format"); it != values.end()) format = it->second;
  if (format != "text" && format != "json") {
    err << "alignctl: --format expects text or json, got '" << format << "'\n";
    return kExitUsage;
  }
  std::optional<double> threshold;
  if (auto it = values.find("coverage-threshold"); it != values.end()) {
    double value = 0;
    if (!absl::SimpleAtod(it->second, &value) || !(value >= 0 && value <= 100)) {
      err << "alignctl: --coverage-threshold expects a percentage from 0 to 100, got '"
          << it->second << "'\n";
      return kExitUsage;
    }
    threshold = value;
  }
  const fs::path rules_dir = positional[2];
  auto scenarios_it = values.find("scenarios");
  const fs::path scenarios_path =
      scenarios_it != values.end() ? fs::path(scenarios_it->second) : rules_dir / "tests";

  auto rule_base = inference::LoadRuleBase(rules_dir);
  if (!rule_base.ok()) {
    err << "alignctl: " << rule_base.status().message() << "\n";
    return kExitFailure;
  }
  auto files = inference::FindScenarioFiles(scenarios_path);
  if (!files.ok()) {
    err << "alignctl: " << files.status().message() << "\n";
    return kExitFailure;
  }
  if (files->empty()) {
    err << "alignctl: " << scenarios_path.string() << ": holds no scenario files (*.yaml)\n";
    return kExitFailure;
  }

  const inference::RuleBase& rules = **rule_base;
  const inference::Engine engine(*rule_base);
  ScenarioCoverage coverage(rules);
  Report report;
  for (const fs::path& file : *files) {
    auto scenarios = inference::ReadScenarioFile(file, rules);
    if (!scenarios.ok()) {
      report.errors.push_back({file.string(), std::string(scenarios.status().message())});
      continue;
    }
    for (const inference::Scenario& scenario : *scenarios) {
      auto result = inference::RunScenario(engine, scenario, &coverage);
      if (!result.ok()) {
        // The assessment was checked when the file was read; the engine refusing it is a bug.
        ScenarioResult refused;
        refused.name = scenario.name;
        refused.location = scenario.location;
        refused.failures.push_back(
            {scenario.location, absl::StrCat("the engine refused the assessment: ",
                                             result.status().message()),
             ""});
        result = std::move(refused);
      }
      (result->passed() ? report.passed : report.failed)++;
      report.results.push_back(*std::move(result));
    }
  }
  const bool coverage_ok = !threshold || coverage.rule_percent() >= *threshold;
  const bool passed = report.failed == 0 && report.errors.empty() && coverage_ok;
  if (format == "json") {
    PrintJson(report, coverage, threshold, rules, passed, out);
  } else {
    PrintText(report, coverage, threshold, rules, out);
  }
  return passed ? kExitOk : kExitFailure;
}

}  // namespace align::clients
