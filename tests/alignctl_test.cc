// alignctl end to end, in process: the commands a consultant and a rule author type.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include <google/protobuf/util/json_util.h>

#include "clients/cli.h"
#include "inference/util/proto_alias.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace align::clients {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kSource = ALIGN_SOURCE_DIR;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Alignctl(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunAlignctl(args, out, err);
  return {code, out.str(), err.str()};
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A copy of the standard rule base in a fresh temporary folder, to break on purpose.
class BrokenCopy {
 public:
  BrokenCopy() {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("alignctl_test_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator(kSource + "/rules")) {
      if (entry.path().extension() == ".rules") {
        fs::copy_file(entry.path(), dir_ / entry.path().filename());
      }
    }
  }
  ~BrokenCopy() { fs::remove_all(dir_); }

  // Replaces the first `from` in `file` with `to`; returns the 1-based line and column of it.
  std::pair<int, int> Replace(const std::string& file, const std::string& from,
                              const std::string& to) {
    std::string text = ReadFile(dir_ / file);
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(dir_ / file) << text;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    size_t line_start = text.rfind('\n', at);
    int column = static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
    return {line, column};
  }
  std::string Path(const std::string& file = "") const {
    return file.empty() ? dir_.string() : (dir_ / file).string();
  }

 private:
  fs::path dir_;
};

TEST(AlignctlLint, StandardRuleBaseIsClean) {
  CliRun run = Alignctl({"rules", "lint", kSource + "/rules", "--werror"});
  EXPECT_EQ(run.code, kExitOk) << run.out << run.err;
  EXPECT_EQ(run.out, "0 errors, 0 warnings\n");
  EXPECT_EQ(run.err, "");
}

TEST(AlignctlLint, MisspelledConclusionIsAnErrorWithSuggestion) {
  BrokenCopy copy;
  auto [line, column] = copy.Replace("41-causes-rules.rules", "then cause.overwork cf 0.8",
                                     "then cause.overwrok cf 0.8");
  CliRun run = Alignctl({"rules", "lint", copy.Path()});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.out, absl::StrCat(copy.Path("41-causes-rules.rules"), ":", line, ":",
                                  column + 5,
                                  ": error: unknown conclusion 'cause.overwrok'; did you mean "
                                  "'cause.overwork'? [unknown-identifier]\n"
                                  "1 error, 0 warnings\n"));
}

TEST(AlignctlLint, ThresholdOutsideRangeAndTypeMismatchAreBothReported) {
  BrokenCopy copy;
  auto [line1, column1] = copy.Replace("41-causes-rules.rules",
                                       "when finding.firefighting and finding.staff_overcommitted",
                                       "when csat > 120 and finding.staff_overcommitted");
  copy.Replace("41-causes-rules.rules", "then cause.overwork cf",
                                       "then cause.overwork cf 0.9 because \"x\"\nrule extra.r:\n"
                                       "  when strategy.it_involved > 3\n  then cause.overwork cf");
  CliRun run = Alignctl({"rules", "lint", copy.Path()});
  EXPECT_EQ(run.code, kExitFailure);
  const std::string file = copy.Path("41-causes-rules.rules");
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat(
                           file, ":", line1, ":", column1 + 12,
                           ": error: threshold 120 is outside the range 0 .. 100 of 'csat' "
                           "[range]\n")));
  EXPECT_THAT(run.out,
              HasSubstr(absl::StrCat(
                  ": error: 'strategy.it_involved' is a bool indicator; compare it with true or "
                  "false, not '3' [type-mismatch]\n")));
  EXPECT_THAT(run.out, HasSubstr("2 errors, 0 warnings\n"));
}

TEST(AlignctlLint, CycleNamesEveryMember) {
  BrokenCopy copy;
  std::ofstream(copy.Path("99-cycle.rules"))
      << "finding cycle.a\n  title: \"A\"\nfinding cycle.b\n  title: \"B\"\n"
         "rule cycle.ab: when cycle.a then cycle.b\nrule cycle.ba: when cycle.b then cycle.a\n";
  CliRun run = Alignctl({"rules", "lint", copy.Path()});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.out, absl::StrCat(copy.Path("99-cycle.rules"),
                                  ":5:1: error: dependency cycle through cycle.a, cycle.b (rules "
                                  "cycle.ab, cycle.ba) [cycle]\n"
                                  "  hint: a conclusion may not depend on itself; break one of "
                                  "these rules\n"
                                  "1 error, 0 warnings\n"));
}

TEST(AlignctlLint, JsonFormatListsDiagnosticsAsData) {
  BrokenCopy copy;
  std::ofstream(copy.Path("99-extra.rules"))
      << "pattern lonely.pattern\n  title: \"Lonely\"\n  description: \"d\"\n  source: \"s\"\n";
  CliRun run = Alignctl({"rules", "lint", copy.Path(), "--format", "json"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_EQ(run.out, absl::StrCat("{\"errors\": 0, \"warnings\": 1, \"diagnostics\": [\n  "
                                  "{\"file\": \"",
                                  copy.Path("99-extra.rules"),
                                  "\", \"line\": 1, \"column\": 1, \"severity\": \"warning\", "
                                  "\"check\": \"unreachable\", \"message\": \"pattern "
                                  "'lonely.pattern' is never concluded: no rule has it after "
                                  "'then'\", \"hint\": \"\"}]}\n"));
  EXPECT_EQ(Alignctl({"rules", "lint", copy.Path(), "--werror"}).code, kExitFailure);
}

TEST(AlignctlLint, MissingFolderIsReported) {
  CliRun run = Alignctl({"rules", "lint", "/nonexistent/rules"});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.err, "alignctl: /nonexistent/rules: no such file or folder\n");
}

TEST(AlignctlDiagnose, TextReportNamesTopCauseAndRuleBase) {
  CliRun run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                      kSource + "/examples/assessments/overloaded-it.yaml"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, StartsWith("Alignment diagnosis: Northwind Logistics, 2026-10-15\n"
                                  "Rule base alignment.standard 1.0.0 (sha256 "));
  EXPECT_THAT(run.out, HasSubstr("\nCauses\n  0.91  Overwork and firefighting (cause.overwork) "
                                 "[operations]\n"));
}

TEST(AlignctlDiagnose, JsonIsTheProtobufMapping) {
  CliRun run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                      kSource + "/examples/assessments/retail-bank.json", "--format=json",
                      "--max-causes", "1"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"organisation\": \"Granite Bank\""));
  EXPECT_THAT(run.out, HasSubstr("\"region\": \"REGION_UNRECOGNISED_DEMAND\""));
  // It reads back as the same message, and --max-causes kept exactly the top cause.
  proto::Diagnosis parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &parsed).ok());
  EXPECT_EQ(parsed.organisation(), "Granite Bank");
  EXPECT_EQ(parsed.rule_base().id(), "alignment.standard");
  ASSERT_EQ(parsed.causes_size(), 1);
  EXPECT_EQ(parsed.causes(0).id(), "cause.unclear_strategy.process");
}

// The report lists ten waiting rules unless asked, and says when it cut the list.
TEST(AlignctlDiagnose, WouldFireListSaysWhenItWasCut) {
  const std::string kNote =
      "  (the first 10: those the assessment answers in part, then the rest, each nearest to "
      "firing first; more rules wait for unknowns: --would-fire N lists up to N, --would-fire "
      "all every one)\n";
  CliRun run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                         kSource + "/examples/assessments/sparse.yaml"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\nWould fire if known\n  - rule "
                                 "it_not_strategic.support_only_scope would support "));
  EXPECT_THAT(run.out, HasSubstr(kNote));
  const size_t listed = run.out.find("\nWould fire if known\n");
  const size_t note = run.out.find(kNote);
  ASSERT_NE(listed, std::string::npos);
  ASSERT_NE(note, std::string::npos);
  // The newline before the heading, the heading's, then one per rule.
  EXPECT_EQ(std::count(run.out.begin() + listed, run.out.begin() + note, '\n'), 2 + 10);

  // All 125 when asked for more than there are: nothing was cut.
  run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                  kSource + "/examples/assessments/sparse.yaml", "--would-fire", "500"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, Not(HasSubstr("more rules wait for unknowns")));
  const size_t all = run.out.find("\nWould fire if known\n");
  const size_t questions = run.out.find("\nQuestions worth asking next\n");
  ASSERT_NE(all, std::string::npos);
  ASSERT_NE(questions, std::string::npos);
  EXPECT_EQ(std::count(run.out.begin() + all, run.out.begin() + questions, '\n'), 2 + 125);

  // "all" lists the same 125.
  CliRun every = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                           kSource + "/examples/assessments/sparse.yaml", "--would-fire", "all"});
  ASSERT_EQ(every.code, kExitOk) << every.err;
  EXPECT_EQ(every.out, run.out);

  run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                  kSource + "/examples/assessments/sparse.yaml", "--would-fire", "some"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "alignctl: --would-fire expects a whole number >= 0 or 'all', got 'some'\n");
}

TEST(AlignctlDiagnose, WhyNotExplainsAMissingCause) {
  CliRun run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules",
                      kSource + "/examples/assessments/overloaded-it.yaml", "--why-not",
                      "cause.missed_market_shift"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\nWhy not cause.missed_market_shift\n  Missed market shift"));
}

TEST(AlignctlDiagnose, BadAssessmentNamesTheFieldPath) {
  fs::path file = fs::temp_directory_path() / "alignctl_test_bad.yaml";
  std::ofstream(file) << "organisation: x\nobservations:\n  capacity.utilisaton: 50\n";
  CliRun run = Alignctl({"diagnose", "--local", "--rules", kSource + "/rules", file.string()});
  fs::remove(file);
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           file.string(),
                           ":3:3: observations[\"capacity.utilisaton\"]: undeclared indicator; "
                           "did you mean 'capacity.utilisation'?")));
}

TEST(AlignctlExplain, HowTextListsFiredRules) {
  CliRun run = Alignctl({"explain", "--local", "--rules", kSource + "/rules",
                      kSource + "/examples/assessments/overloaded-it.yaml", "cause.overwork"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, StartsWith("Overwork and firefighting (cause.overwork) was concluded with "
                                  "certainty 0.91.\n"));
  EXPECT_THAT(run.out,
              HasSubstr("- rule overwork.calm_operations did not fire: it needs unplanned work "
                        "below 25% of IT time, the assessment says 55% of IT time."));
  EXPECT_THAT(run.out, HasSubstr("- rule overwork.firefighting_and_stretched fired (premise 0.89 "
                                 "x cf 0.8 = 0.71)"));
}

TEST(AlignctlExplain, UnknownNodeSuggestsTheClosestId) {
  CliRun run = Alignctl({"explain", "--local", "--rules", kSource + "/rules",
                      kSource + "/examples/assessments/healthy.yaml", "cause.overwrk"});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_EQ(run.err, "alignctl: unknown node 'cause.overwrk'; did you mean 'cause.overwork'?\n");
}

// Help is asked for anywhere on the line and goes to stdout with exit 0; a bare alignctl is a
// usage error, on stderr.
TEST(AlignctlUsage, HelpAnywherePrintsTheUsage) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"diagnose", "--help"}, {"rules", "lint", "-h"}}) {
    CliRun run = Alignctl(args);
    EXPECT_EQ(run.code, kExitOk) << args.back();
    EXPECT_THAT(run.out, StartsWith("usage:\n  alignctl [ENGINE] diagnose ASSESSMENT"))
        << args.back();
    EXPECT_THAT(run.out, HasSubstr("[--would-fire N|all]"));
    EXPECT_EQ(run.err, "") << args.back();
  }
  CliRun bare = Alignctl({});
  EXPECT_EQ(bare.code, kExitUsage);
  EXPECT_EQ(bare.out, "");
  EXPECT_THAT(bare.err, StartsWith("usage:\n"));
}

TEST(AlignctlUsage, UnknownCommandAndOptionAreUsageErrors) {
  CliRun command = Alignctl({"diagnos"});
  EXPECT_EQ(command.code, kExitUsage);
  EXPECT_THAT(command.err, StartsWith("alignctl: unknown command 'diagnos'; did you mean "
                                      "'diagnose'?\n"));
  CliRun option = Alignctl({"diagnose", "--locale", "x.yaml"});
  EXPECT_EQ(option.code, kExitUsage);
  EXPECT_EQ(option.err, "alignctl: unknown option --locale; did you mean '--local'?\n");
  CliRun format = Alignctl({"rules", "lint", "rules", "--format", "xml"});
  EXPECT_EQ(format.code, kExitUsage);
  EXPECT_EQ(format.err, "alignctl: --format expects text or json, got 'xml'\n");
}

}  // namespace
}  // namespace align::clients
