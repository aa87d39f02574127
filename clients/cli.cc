#include "absl/strings/string_view.h"
#include "clients/cli.h"

#include <map>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/report.h"
#include "inference/engine.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/loader.h"
#include "inference/util/suggest.h"

namespace align::clients {
namespace {

constexpr char kUsage[] = R"(usage:
  alignctl diagnose --local --rules DIR ASSESSMENT [--format text|json]
                    [--why-not ID[,ID…]] [--max-causes N] [--max-actions N] [--questions N]
  alignctl explain  --local --rules DIR ASSESSMENT NODE [--format text|json]
  alignctl rules lint DIR [--format text|json] [--werror]

ASSESSMENT is a .yaml, .yml or .json file. NODE is a pattern, cause, action, finding or
indicator id. Exit codes: 0 success, 1 failure (bad input, lint errors), 2 bad command line.
)";

// A parsed command line: positional words and --flags.
struct CommandLine {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --name value / --name=value
  std::set<std::string> switches;             // --name
};

struct FlagSpec {
  std::set<std::string> valued;
  std::set<std::string> switches;
};

std::optional<CommandLine> Parse(const std::vector<std::string>& args, size_t first,
                                 const FlagSpec& spec, std::ostream& err) {
  CommandLine line;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      line.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.switches.count(name) != 0 && !value) {
      line.switches.insert(name);
    } else if (spec.valued.count(name) != 0) {
      if (!value) {
        if (i + 1 >= args.size()) {
          err << "alignctl: --" << name << " needs a value\n";
          return std::nullopt;
        }
        value = args[++i];
      }
      line.values[name] = *value;
    } else {
      std::vector<absl::string_view> known;
      for (const auto& s : spec.valued) known.push_back(s);
      for (const auto& s : spec.switches) known.push_back(s);
      err << "alignctl: unknown option --" << name
          << inference::DidYouMean([&] {
               auto names = inference::ClosestNames(name, known);
               for (auto& n : names) n = "--" + n;
               return names;
             }())
          << "\n";
      return std::nullopt;
    }
  }
  return line;
}

std::optional<int> IntFlag(const CommandLine& line, const std::string& name, int fallback,
                           std::ostream& err) {
  auto it = line.values.find(name);
  if (it == line.values.end()) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < 0) {
    err << "alignctl: --" << name << " expects a whole number >= 0, got '" << it->second << "'\n";
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> FormatFlag(const CommandLine& line, std::ostream& err) {
  auto it = line.values.find("format");
  if (it == line.values.end()) return "text";
  if (it->second != "text" && it->second != "json") {
    err << "alignctl: --format expects text or json, got '" << it->second << "'\n";
    return std::nullopt;
  }
  return it->second;
}

// The engine for --local mode, or an exit code after reporting why there is none.
std::variant<inference::Engine, int> LocalEngine(const CommandLine& line, std::ostream& err) {
  if (line.switches.count("local") == 0) {
    err << "alignctl: this build runs the engine in process only; pass --local\n";
    return kExitUsage;
  }
  auto rules = line.values.find("rules");
  if (rules == line.values.end()) {
    err << "alignctl: --local needs --rules DIR\n";
    return kExitUsage;
  }
  auto rule_base = inference::LoadRuleBase(rules->second);
  if (!rule_base.ok()) {
    err << "alignctl: " << rule_base.status().message() << "\n";
    return kExitFailure;
  }
  return inference::Engine(*std::move(rule_base));
}

std::optional<proto::Assessment> ReadAssessment(const std::string& path,
                                                const inference::Engine& engine,
                                                std::ostream& err) {
  auto assessment = inference::ReadAssessmentFile(path, &engine.rule_base().schema());
  if (!assessment.ok()) {
    err << "alignctl: " << assessment.status().message() << "\n";
    return std::nullopt;
  }
  return *std::move(assessment);
}

int Diagnose(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto line = Parse(args, 1,
                    {{"rules", "format", "why-not", "max-causes", "max-actions", "max-patterns",
                      "questions"},
                     {"local"}},
                    err);
  if (!line) return kExitUsage;
  if (line->positional.size() != 1) {
    err << "alignctl: diagnose takes one assessment file\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(*line, err);
  inference::DiagnoseOptions options;
  auto max_causes = IntFlag(*line, "max-causes", 0, err);
  auto max_actions = IntFlag(*line, "max-actions", 0, err);
  auto max_patterns = IntFlag(*line, "max-patterns", 0, err);
  auto questions = IntFlag(*line, "questions", 5, err);
  if (!format || !max_causes || !max_actions || !max_patterns || !questions) return kExitUsage;
  options.max_causes = *max_causes;
  options.max_actions = *max_actions;
  options.max_patterns = *max_patterns;
  options.max_questions = *questions;
  if (auto it = line->values.find("why-not"); it != line->values.end()) {
    options.why_not = absl::StrSplit(it->second, ',', absl::SkipEmpty());
  }
  auto engine = LocalEngine(*line, err);
  if (const int* code = std::get_if<int>(&engine)) return *code;
  const inference::Engine& local = std::get<inference::Engine>(engine);
  auto assessment = ReadAssessment(line->positional[0], local, err);
  if (!assessment) return kExitFailure;
  auto diagnosis = local.Diagnose(*assessment, options);
  if (!diagnosis.ok()) {
    err << "alignctl: " << diagnosis.status().message() << "\n";
    return kExitFailure;
  }
  out << (*format == "json" ? RenderJson(*diagnosis) : RenderDiagnosisText(*diagnosis));
  return kExitOk;
}

int Explain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto line = Parse(args, 1, {{"rules", "format"}, {"local"}}, err);
  if (!line) return kExitUsage;
  if (line->positional.size() != 2) {
    err << "alignctl: explain takes an assessment file and a node id\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(*line, err);
  if (!format) return kExitUsage;
  auto engine = LocalEngine(*line, err);
  if (const int* code = std::get_if<int>(&engine)) return *code;
  const inference::Engine& local = std::get<inference::Engine>(engine);
  auto assessment = ReadAssessment(line->positional[0], local, err);
  if (!assessment) return kExitFailure;
  auto explanation = local.Explain(*assessment, line->positional[1]);
  if (!explanation.ok()) {
    err << "alignctl: " << explanation.status().message() << "\n";
    return kExitFailure;
  }
  out << (*format == "json" ? RenderJson(*explanation) : explanation->text() + "\n");
  return kExitOk;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrCat("\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

int Lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto line = Parse(args, 2, {{"format"}, {"werror"}}, err);
  if (!line) return kExitUsage;
  if (line->positional.size() != 1) {
    err << "alignctl: rules lint takes one folder or file\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(*line, err);
  if (!format) return kExitUsage;
  auto result = inference::CompileRuleFiles(line->positional[0]);
  if (!result.ok()) {
    err << "alignctl: " << result.status().message() << "\n";
    return kExitFailure;
  }
  const inference::Diagnostics& diagnostics = result->diagnostics;
  if (*format == "json") {
    std::vector<std::string> items;
    for (const inference::Diagnostic& d : diagnostics.Sorted()) {
      items.push_back(absl::StrCat(
          "{\"file\": ", JsonString(d.location.file), ", \"line\": ", d.location.line,
          ", \"column\": ", d.location.column, ", \"severity\": \"",
          d.severity == inference::Severity::kError ? "error" : "warning",
          "\", \"check\": ", JsonString(d.check), ", \"message\": ", JsonString(d.message),
          ", \"hint\": ", JsonString(d.hint), "}"));
    }
    out << "{\"errors\": " << diagnostics.error_count()
        << ", \"warnings\": " << diagnostics.warning_count() << ", \"diagnostics\": ["
        << (items.empty() ? "" : "\n  ") << absl::StrJoin(items, ",\n  ") << "]}\n";
  } else {
    out << diagnostics.Format();
    out << diagnostics.error_count() << " error" << (diagnostics.error_count() == 1 ? "" : "s")
        << ", " << diagnostics.warning_count() << " warning"
        << (diagnostics.warning_count() == 1 ? "" : "s") << "\n";
  }
  if (diagnostics.HasErrors()) return kExitFailure;
  if (line->switches.count("werror") != 0 && diagnostics.warning_count() > 0) return kExitFailure;
  return kExitOk;
}

}  // namespace

int RunAlignctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& command = args[0];
  if (command == "diagnose") return Diagnose(args, out, err);
  if (command == "explain") return Explain(args, out, err);
  if (command == "rules") {
    if (args.size() >= 2 && args[1] == "lint") return Lint(args, out, err);
    err << "alignctl: unknown rules command"
        << (args.size() >= 2 ? absl::StrCat(" '", args[1], "'") : std::string())
        << "; try 'rules lint'\n";
    return kExitUsage;
  }
  err << "alignctl: unknown command '" << command << "'"
      << inference::DidYouMean(inference::ClosestNames(absl::string_view(command), std::vector<absl::string_view>{"diagnose", "explain", "rules"}))
      << "\n"
      << kUsage;
  return kExitUsage;
}

}  // namespace align::clients
