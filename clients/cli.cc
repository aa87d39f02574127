#include "absl/strings/string_view.h"
#include "clients/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <optional>
#include <set>
#include <variant>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/backend.h"
#include "clients/report.h"
#include "clients/rules_test_command.h"
#include "inference/io/assessment_reader.h"
#include "inference/lint/linter.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/loader.h"
#include "inference/util/format.h"
#include "inference/util/suggest.h"

namespace align::clients {
namespace {

constexpr char kUsage[] = R"(usage:
  alignctl [ENGINE] diagnose ASSESSMENT [--format text|json] [--why-not ID[,ID…]]
                    [--max-patterns N] [--max-causes N] [--max-actions N] [--questions N]
                    [--would-fire N|all]
  alignctl [ENGINE] explain ASSESSMENT NODE[,NODE…] [--format text|json]
  alignctl [ENGINE] rules info [--format text|json]
  alignctl [ENGINE] rules graph [--focus NODE] [--format dot|svg|json]
  alignctl rules lint DIR [--format text|json] [--werror]
  alignctl rules test DIR [--scenarios PATH] [--coverage-threshold N] [--format text|json]
  alignctl --server HOST:PORT [--token-file FILE] reload [DIR]

ENGINE is where answers come from:
  --local --rules DIR        the engine in this process, with the rule base in DIR
  --server HOST:PORT         an alignd server; with TLS add --tls-ca FILE (and, for mutual TLS,
                             --tls-cert FILE --tls-key FILE); admin calls take --token-file FILE

ASSESSMENT is a .yaml, .yml or .json file. NODE is a pattern, cause, action, finding or
indicator id. Exit codes: 0 success, 1 failure (bad input, lint errors, server errors),
2 bad command line.
)";

// A parsed command line: positional words and --flags.
struct CommandLine {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --name value / --name=value
  std::set<std::string> switches;             // --name
};

const std::set<std::string> kValuedFlags = {
    "rules",      "server",      "tls-ca",    "tls-cert",    "tls-key",
    "token-file", "format",      "why-not",   "max-causes",  "max-actions",
    "max-patterns", "questions", "would-fire", "focus", "coverage-threshold", "scenarios"};
const std::set<std::string> kSwitches = {"local", "werror"};

std::optional<CommandLine> Parse(const std::vector<std::string>& args, std::ostream& err) {
  CommandLine line;
  for (size_t i = 0; i < args.size(); ++i) {
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
    if (kSwitches.count(name) != 0 && !value) {
      line.switches.insert(name);
    } else if (kValuedFlags.count(name) != 0) {
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
      for (const auto& s : kValuedFlags) known.push_back(s);
      for (const auto& s : kSwitches) known.push_back(s);
      auto names = inference::ClosestNames(absl::string_view(name), known);
      for (auto& n : names) n = "--" + n;
      err << "alignctl: unknown option --" << name << inference::DidYouMean(names) << "\n";
      return std::nullopt;
    }
  }
  return line;
}

// `also`: the words the flag takes besides a number, for the error message.
std::optional<int> IntFlag(const CommandLine& line, const std::string& name, int fallback,
                           std::ostream& err, absl::string_view also = "") {
  auto it = line.values.find(name);
  if (it == line.values.end()) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < 0) {
    err << "alignctl: --" << name << " expects a whole number >= 0" << also << ", got '"
        << it->second << "'\n";
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> FormatFlag(const CommandLine& line, std::ostream& err,
                                      const std::vector<std::string>& allowed = {"text", "json"}) {
  auto it = line.values.find("format");
  if (it == line.values.end()) return allowed.front();
  if (std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) {
    err << "alignctl: --format expects " << absl::StrJoin(allowed, " or ") << ", got '"
        << it->second << "'\n";
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Where answers come from, as the flags say; an exit code after explaining the problem.
std::variant<std::unique_ptr<Backend>, int> MakeBackend(const CommandLine& line,
                                                        std::ostream& err) {
  auto server = line.values.find("server");
  if (server != line.values.end()) {
    if (line.switches.count("local") != 0) {
      err << "alignctl: choose one of --local and --server\n";
      return kExitUsage;
    }
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    auto ca = line.values.find("tls-ca");
    if (ca != line.values.end()) {
      grpc::SslCredentialsOptions tls;
      auto root = ReadTextFile(ca->second, "--tls-ca");
      if (!root.ok()) {
        err << "alignctl: " << root.status().message() << "\n";
        return kExitFailure;
      }
      tls.pem_root_certs = *root;
      auto cert = line.values.find("tls-cert");
      auto key = line.values.find("tls-key");
      if ((cert == line.values.end()) != (key == line.values.end())) {
        err << "alignctl: --tls-cert and --tls-key go together\n";
        return kExitUsage;
      }
      if (cert != line.values.end()) {
        auto cert_text = ReadTextFile(cert->second, "--tls-cert");
        auto key_text = ReadTextFile(key->second, "--tls-key");
        if (!cert_text.ok() || !key_text.ok()) {
          err << "alignctl: "
              << (cert_text.ok() ? key_text.status() : cert_text.status()).message() << "\n";
          return kExitFailure;
        }
        tls.pem_cert_chain = *cert_text;
        tls.pem_private_key = *key_text;
      }
      credentials = grpc::SslCredentials(tls);
    } else {
      if (line.values.count("tls-cert") != 0) {
        err << "alignctl: --tls-cert needs --tls-ca\n";
        return kExitUsage;
      }
      credentials = grpc::InsecureChannelCredentials();
    }
    std::string token;
    if (auto file = line.values.find("token-file"); file != line.values.end()) {
      auto text = ReadTextFile(file->second, "--token-file");
      if (!text.ok()) {
        err << "alignctl: " << text.status().message() << "\n";
        return kExitFailure;
      }
      token = std::string(absl::StripAsciiWhitespace(*text));
    }
    return RemoteBackend(grpc::CreateChannel(server->second, credentials), server->second,
                         token);
  }
  auto rules = line.values.find("rules");
  if (line.switches.count("local") == 0 || rules == line.values.end()) {
    err << "alignctl: say where answers come from: --local --rules DIR, or --server HOST:PORT\n";
    return kExitUsage;
  }
  auto local = LocalBackend(rules->second);
  if (!local.ok()) {
    err << "alignctl: " << local.status().message() << "\n";
    return kExitFailure;
  }
  return *std::move(local);
}

int Fail(const absl::Status& status, std::ostream& err) {
  err << "alignctl: " << status.message() << "\n";
  return kExitFailure;
}

// Reads an assessment file, checked against the rule base the backend serves, so that errors
// carry file positions whichever engine answers.
std::optional<proto::Assessment> ReadAssessment(const std::string& path, Backend& backend,
                                                std::ostream& err) {
  auto info = backend.GetRuleBase();
  if (!info.ok()) {
    Fail(info.status(), err);
    return std::nullopt;
  }
  inference::ObservationSchema schema = SchemaFromInfo(*info);
  auto assessment = inference::ReadAssessmentFile(path, &schema);
  if (!assessment.ok()) {
    Fail(assessment.status(), err);
    return std::nullopt;
  }
  return *std::move(assessment);
}

int Diagnose(const CommandLine& line, Backend& backend, std::ostream& out, std::ostream& err) {
  if (line.positional.size() != 2) {
    err << "alignctl: diagnose takes one assessment file\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(line, err);
  auto max_causes = IntFlag(line, "max-causes", 0, err);
  auto max_actions = IntFlag(line, "max-actions", 0, err);
  auto max_patterns = IntFlag(line, "max-patterns", 0, err);
  auto questions = IntFlag(line, "questions", 5, err);
  // "all" is the wire's -1; the engine's default (10) stands when the flag is absent.
  const bool all_would_fire = line.values.count("would-fire") != 0 &&
                              line.values.at("would-fire") == "all";
  auto would_fire = all_would_fire ? std::optional<int>(-1)
                                   : IntFlag(line, "would-fire", -1, err, " or 'all'");
  if (!format || !max_causes || !max_actions || !max_patterns || !questions || !would_fire) {
    return kExitUsage;
  }
  proto::DiagnoseRequest request;
  proto::DiagnoseOptions& options = *request.mutable_options();
  options.set_max_causes(*max_causes);
  options.set_max_actions(*max_actions);
  options.set_max_patterns(*max_patterns);
  options.set_max_questions(*questions);
  if (line.values.count("would-fire") != 0) options.set_max_would_fire(*would_fire);
  if (auto it = line.values.find("why-not"); it != line.values.end()) {
    for (absl::string_view id : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
      options.add_why_not(std::string(id));
    }
  }
  auto assessment = ReadAssessment(line.positional[1], backend, err);
  if (!assessment) return kExitFailure;
  *request.mutable_assessment() = *std::move(assessment);
  auto diagnosis = backend.Diagnose(request);
  if (!diagnosis.ok()) return Fail(diagnosis.status(), err);
  out << (*format == "json" ? RenderJson(*diagnosis) : RenderDiagnosisText(*diagnosis));
  return kExitOk;
}

int Explain(const CommandLine& line, Backend& backend, std::ostream& out, std::ostream& err) {
  if (line.positional.size() != 3) {
    err << "alignctl: explain takes an assessment file and a node id\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(line, err);
  if (!format) return kExitUsage;
  auto assessment = ReadAssessment(line.positional[1], backend, err);
  if (!assessment) return kExitFailure;
  proto::ExplainRequest request;
  *request.mutable_assessment() = *std::move(assessment);
  for (absl::string_view id : absl::StrSplit(line.positional[2], ',', absl::SkipEmpty())) {
    request.add_node_ids(std::string(id));
  }
  auto explained = backend.Explain(request);
  if (!explained.ok()) return Fail(explained.status(), err);
  if (*format == "json") {
    out << RenderJson(*explained);
  } else {
    for (const proto::Explanation& e : explained->explanations()) out << e.text() << "\n";
  }
  return kExitOk;
}

int RulesInfo(const CommandLine& line, Backend& backend, std::ostream& out, std::ostream& err) {
  auto format = FormatFlag(line, err);
  if (!format) return kExitUsage;
  auto info = backend.GetRuleBase();
  if (!info.ok()) return Fail(info.status(), err);
  out << (*format == "json" ? RenderJson(*info) : RenderRuleBaseText(*info));
  return kExitOk;
}

// Runs Graphviz on `dot` and returns the SVG.
absl::StatusOr<std::string> DotToSvg(const std::string& dot) {
  char path[] = "/tmp/alignctl-graph-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("cannot create a temporary file for Graphviz");
  close(fd);
  std::ofstream(path) << dot;
  std::string command = absl::StrCat("dot -Tsvg '", path, "' 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  std::string svg;
  if (pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) svg.append(buffer, n);
    int status = pclose(pipe);
    if (status != 0) svg.clear();
  }
  std::remove(path);
  if (svg.empty()) {
    return absl::FailedPreconditionError(
        "--format svg needs Graphviz's 'dot' (Debian package graphviz; scripts/setup.sh "
        "installs it); --format dot writes the graph for another tool");
  }
  return svg;
}

int RulesGraph(const CommandLine& line, Backend& backend, std::ostream& out, std::ostream& err) {
  auto format = FormatFlag(line, err, {"dot", "svg", "json"});
  if (!format) return kExitUsage;
  std::string focus;
  if (auto it = line.values.find("focus"); it != line.values.end()) focus = it->second;
  auto graph = backend.GetDependencyGraph(focus);
  if (!graph.ok()) return Fail(graph.status(), err);
  if (*format == "json") {
    out << RenderJson(*graph);
  } else if (*format == "dot") {
    out << graph->dot();
  } else {
    auto svg = DotToSvg(graph->dot());
    if (!svg.ok()) return Fail(svg.status(), err);
    out << *svg;
  }
  return kExitOk;
}

int Reload(const CommandLine& line, Backend& backend, std::ostream& out, std::ostream& err) {
  if (line.positional.size() > 2) {
    err << "alignctl: reload takes at most one rule folder\n" << kUsage;
    return kExitUsage;
  }
  proto::ReloadRulesRequest request;
  if (line.positional.size() == 2) {
    auto files = inference::ReadRuleFiles(line.positional[1]);
    if (!files.ok()) return Fail(files.status(), err);
    for (const inference::SourceFile& file : *files) {
      proto::SourceFile* out_file = request.add_files();
      out_file->set_path(file.path);
      out_file->set_text(file.text);
    }
  }
  auto response = backend.ReloadRules(request);
  if (!response.ok()) return Fail(response.status(), err);
  out << "reloaded " << response->current().id() << " " << response->current().version()
      << " (sha256 " << response->current().digest().substr(0, 12) << "), was "
      << response->previous().id() << " " << response->previous().version() << "\n";
  return kExitOk;
}


int Lint(const CommandLine* line, std::ostream& out, std::ostream& err) {
  if (line->positional.size() != 3) {
    err << "alignctl: rules lint takes one folder or file\n" << kUsage;
    return kExitUsage;
  }
  auto format = FormatFlag(*line, err);
  if (!format) return kExitUsage;
  auto result = inference::CompileRuleFiles(line->positional[2]);
  if (!result.ok()) {
    err << "alignctl: " << result.status().message() << "\n";
    return kExitFailure;
  }
  inference::LintCompileResult(*result);
  const inference::Diagnostics& diagnostics = result->diagnostics;
  if (*format == "json") {
    std::vector<std::string> items;
    for (const inference::Diagnostic& d : diagnostics.Sorted()) {
      items.push_back(absl::StrCat(
          "{\"file\": ", inference::JsonQuote(d.location.file.str()),
          ", \"line\": ", d.location.line, ", \"column\": ", d.location.column,
          ", \"severity\": \"", d.severity == inference::Severity::kError ? "error" : "warning",
          "\", \"check\": ", inference::JsonQuote(d.check),
          ", \"message\": ", inference::JsonQuote(d.message),
          ", \"hint\": ", inference::JsonQuote(d.hint), "}"));
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
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  // Asking for help anywhere ("alignctl diagnose --help") gets it, whatever else is there.
  const bool help = args[0] == "help" || std::any_of(args.begin(), args.end(), [](const auto& a) {
                      return a == "--help" || a == "-h";
                    });
  if (help) {
    out << kUsage;
    return kExitOk;
  }
  auto line = Parse(args, err);
  if (!line) return kExitUsage;
  if (line->positional.empty()) {
    err << "alignctl: no command given\n" << kUsage;
    return kExitUsage;
  }
  const std::string& command = line->positional[0];
  const std::string sub = line->positional.size() >= 2 ? line->positional[1] : "";
  if (command == "rules" && sub == "lint") return Lint(&*line, out, err);
  if (command == "rules" && sub == "test") {
    return RunRulesTest(line->positional, line->values, line->switches, out, err);
  }
  const bool known = command == "diagnose" || command == "explain" || command == "reload" ||
                     (command == "rules" && (sub == "info" || sub == "graph"));
  if (!known) {
    if (command == "rules") {
      err << "alignctl: unknown rules command" << (sub.empty() ? "" : " '" + sub + "'")
          << "; try 'rules lint', 'rules test', 'rules info' or 'rules graph'\n";
    } else {
      err << "alignctl: unknown command '" << command << "'"
          << inference::DidYouMean(inference::ClosestNames(
                 absl::string_view(command),
                 std::vector<absl::string_view>{"diagnose", "explain", "rules", "reload"}))
          << "\n"
          << kUsage;
    }
    return kExitUsage;
  }
  // 'rules info DIR' and 'rules graph DIR' read a local folder without more ado.
  if (command == "rules" && line->positional.size() == 3 && line->values.count("server") == 0) {
    line->switches.insert("local");
    line->values["rules"] = line->positional[2];
    line->positional.pop_back();
  }
  auto backend = MakeBackend(*line, err);
  if (const int* code = std::get_if<int>(&backend)) return *code;
  Backend& engine = *std::get<std::unique_ptr<Backend>>(backend);
  if (command == "diagnose") return Diagnose(*line, engine, out, err);
  if (command == "explain") return Explain(*line, engine, out, err);
  if (command == "reload") return Reload(*line, engine, out, err);
  if (sub == "info") return RulesInfo(*line, engine, out, err);
  return RulesGraph(*line, engine, out, err);
}

}  // namespace align::clients
