// alignd end to end: the real binary, started as a child process and driven over loopback gRPC,
// checked against the service contract (flags, exit codes, logs, every RPC and its error codes,
// TLS, admin token, reload, shutdown, limits). The embedded engine gives the expected answers.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "alignment/v1/advisor.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "inference/engine.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/describe.h"
#include "inference/rulebase/loader.h"
#include "tests/alignd_test_support.h"

namespace align {
namespace {

namespace fs = std::filesystem;
using ::align::testing::AligndProcess;
using ::align::testing::CallUnary;
using ::align::testing::CheckHealth;
using ::align::testing::Connect;
using ::align::testing::ConnectedInsecure;
using ::align::testing::ConnectInsecure;
using ::align::testing::DeadlineIn;
using ::align::testing::EncodeStringField;
using ::align::testing::GenericStream;
using ::align::testing::GrpcOk;
using ::align::testing::GrpcStatusIs;
using ::align::testing::kNotServing;
using ::align::testing::kServing;
using ::align::testing::ReadTextFile;
using ::align::testing::TempDir;
using ::align::testing::WriteTextFile;
using ::testing::ContainsRegex;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

const fs::path kSource = ALIGN_SOURCE_DIR;

// On SIGTERM alignd's gRPC server waits for each client to acknowledge its GOAWAY, and a C++
// client reads an idle connection only on its backup poll, every 5 s by default. Poll often, so
// that tests which stop alignd with a connection open do not wait for it. (Read at grpc_init.)
const bool kFrequentBackupPoll =
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", /*overwrite=*/0) == 0;

const std::string kRulesDir = (kSource / "rules").string();
const std::string kAdvisorService = "alignment.v1.AlignmentAdvisor";
const std::string kAdminToken = "s3cret-admin-token";
constexpr absl::Duration kRpcTimeout = absl::Seconds(20);
constexpr absl::Duration kExitTimeout = absl::Seconds(20);

// --- Inputs and expected answers, from the engine linked in process ---------------------------

std::shared_ptr<const inference::RuleBase> StandardRules() {
  static auto rules = [] {
    auto loaded = inference::LoadRuleBase(kSource / "rules");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *loaded : nullptr;
  }();
  return rules;
}

proto::Assessment Example(const std::string& file) {
  auto assessment = inference::ReadAssessmentFile(kSource / "examples/assessments" / file);
  EXPECT_TRUE(assessment.ok()) << assessment.status();
  return assessment.ok() ? *assessment : proto::Assessment();
}

// The standard rule files as the API takes them, named by file name.
std::vector<proto::SourceFile> StandardRuleFiles() {
  std::vector<proto::SourceFile> files;
  for (const auto& entry : fs::directory_iterator(kSource / "rules")) {
    if (entry.path().extension() != ".rules") continue;
    proto::SourceFile file;
    file.set_path(entry.path().filename().string());
    file.set_text(ReadTextFile(entry.path()));
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  return files;
}

// Replaces the first `from` in the file named `name`; returns the 1-based line and column of it.
std::pair<int, int> ReplaceIn(std::vector<proto::SourceFile>& files, const std::string& name,
                              const std::string& from, const std::string& to) {
  for (proto::SourceFile& file : files) {
    if (file.path() != name) continue;
    std::string text = file.text();
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << name << " has no " << from;
    if (at == std::string::npos) return {0, 0};
    text.replace(at, from.size(), to);
    file.set_text(text);
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    size_t line_start = text.rfind('\n', at);
    int column = static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
    return {line, column};
  }
  ADD_FAILURE() << "no rule file " << name;
  return {0, 0};
}

// The standard files with the rule base header saying `version`.
std::vector<proto::SourceFile> WithVersion(const std::string& version,
                                           std::vector<proto::SourceFile> files =
                                               StandardRuleFiles()) {
  ReplaceIn(files, "00-rulebase.rules", "rulebase alignment.standard version \"1.0.0\"",
            absl::StrCat("rulebase alignment.standard version \"", version, "\""));
  return files;
}

// A rule base that does not compile: one rule concludes a misspelt cause.
struct BrokenRules {
  std::vector<proto::SourceFile> files;
  int line = 0, column = 0;  // of the misspelt id
  // The start of the diagnostic as alignctl prints it, for a folder holding the files at `dir`.
  std::string Formatted(const std::string& dir = "") const {
    return absl::StrCat(dir.empty() ? "" : dir + "/", "41-causes-rules.rules:", line, ":", column,
                        ": error: unknown conclusion 'cause.overwrok'; did you mean "
                        "'cause.overwork'?");
  }
};

BrokenRules MisspeltConclusion(std::vector<proto::SourceFile> files = StandardRuleFiles()) {
  BrokenRules broken{std::move(files)};
  auto [line, column] = ReplaceIn(broken.files, "41-causes-rules.rules",
                                  "then cause.overwork cf 0.8", "then cause.overwrok cf 0.8");
  broken.line = line;
  broken.column = column + 5;  // past "then "
  return broken;
}

inference::CompileResult CompileLocally(const std::vector<proto::SourceFile>& files) {
  std::vector<inference::SourceFile> sources;
  for (const proto::SourceFile& file : files) sources.push_back({file.path(), file.text()});
  return inference::CompileRuleBase(sources);
}

std::string LocalDigest(const std::vector<proto::SourceFile>& files) {
  inference::CompileResult result = CompileLocally(files);
  EXPECT_NE(result.rule_base, nullptr) << result.diagnostics.Format();
  return result.rule_base == nullptr ? "" : result.rule_base->digest();
}

// Writes `files` into `dir` (which must exist).
void WriteRuleFolder(const fs::path& dir, const std::vector<proto::SourceFile>& files) {
  for (const proto::SourceFile& file : files) WriteTextFile(dir / file.path(), file.text());
}

inference::DiagnoseOptions ToEngineOptions(const proto::DiagnoseOptions& options) {
  inference::DiagnoseOptions engine;
  engine.max_patterns = options.max_patterns();
  engine.max_causes = options.max_causes();
  engine.max_actions = options.max_actions();
  engine.max_questions = options.has_max_questions() ? options.max_questions() : 5;
  engine.max_would_fire = options.has_max_would_fire() ? options.max_would_fire() : 10;
  engine.include_explanations = !options.omit_explanations();
  engine.why_not.assign(options.why_not().begin(), options.why_not().end());
  return engine;
}

::testing::AssertionResult ProtoEquals(const google::protobuf::Message& actual,
                                       const google::protobuf::Message& expected) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(expected, actual)) return ::testing::AssertionSuccess();
  if (differences.size() > 4000) differences = differences.substr(0, 4000) + "…";
  return ::testing::AssertionFailure() << "differs from expected:\n" << differences;
}

bool IsLowerHex(const std::string& text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

int Patch(const std::string& version) {
  int patch = -1;
  absl::string_view rest = version;
  if (!absl::ConsumePrefix(&rest, "1.0.") || !absl::SimpleAtoi(rest, &patch)) return -1;
  return patch;
}

// The line of `text` that contains `needle`; empty when none.
std::string LineWith(const std::string& text, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, needle)) return std::string(line);
  }
  return "";
}

// The string value of "key":"…" in a one-line JSON object; empty when absent.
std::string JsonString(const std::string& line, const std::string& key) {
  std::smatch match;
  if (std::regex_search(line, match, std::regex("\"" + key + "\":\"([^\"]*)\""))) {
    return match[1];
  }
  return "";
}

// The "id" values inside the array "key":[…] of a one-line JSON object.
std::vector<std::string> JsonIdList(const std::string& line, const std::string& key) {
  std::vector<std::string> ids;
  size_t start = line.find("\"" + key + "\":[");
  if (start == std::string::npos) return ids;
  size_t end = line.find(']', start);
  std::string array = line.substr(start, end == std::string::npos ? end : end - start);
  std::regex id("\"id\":\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(array.begin(), array.end(), id);
       it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1]);
  }
  return ids;
}

// A non-empty list of ids that starts the conclusions (or is empty when they are).
MATCHER_P(IsLeadingIdsOf, conclusions, "are the leading ids of the conclusions") {
  if (conclusions.empty()) return arg.empty();
  if (arg.empty() || arg.size() > static_cast<size_t>(conclusions.size())) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] != conclusions[static_cast<int>(i)].id()) return false;
  }
  return true;
}

// --- A client for the advisor API with bounded calls --------------------------------------------

class Advisor {
 public:
  explicit Advisor(std::shared_ptr<grpc::Channel> channel)
      : stub_(proto::AlignmentAdvisor::NewStub(std::move(channel))) {}

  grpc::Status Diagnose(const proto::DiagnoseRequest& request, proto::Diagnosis* response) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    return stub_->Diagnose(&context, request, response);
  }
  grpc::Status Diagnose(const proto::Assessment& assessment, proto::Diagnosis* response) {
    proto::DiagnoseRequest request;
    *request.mutable_assessment() = assessment;
    return Diagnose(request, response);
  }
  grpc::Status Explain(const proto::ExplainRequest& request, proto::ExplainResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    return stub_->Explain(&context, request, response);
  }
  grpc::Status GetRuleBase(proto::RuleBaseInfo* response) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    return stub_->GetRuleBase(&context, proto::GetRuleBaseRequest(), response);
  }
  grpc::Status GetDependencyGraph(const std::string& focus, proto::Graph* response) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    proto::GetDependencyGraphRequest request;
    request.set_focus(focus);
    return stub_->GetDependencyGraph(&context, request, response);
  }
  grpc::Status ValidateRules(const std::vector<proto::SourceFile>& files,
                             proto::ValidationReport* response) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    proto::ValidateRulesRequest request;
    for (const auto& file : files) *request.add_files() = file;
    return stub_->ValidateRules(&context, request, response);
  }
  // `authorization`: the metadata value to send; empty sends none.
  grpc::Status ReloadRules(const std::vector<proto::SourceFile>& files,
                           proto::ReloadRulesResponse* response,
                           const std::string& authorization) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kRpcTimeout));
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    proto::ReloadRulesRequest request;
    for (const auto& file : files) *request.add_files() = file;
    return stub_->ReloadRules(&context, request, response);
  }

  proto::AlignmentAdvisor::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<proto::AlignmentAdvisor::Stub> stub_;
};

std::string Bearer(const std::string& token) { return "Bearer " + token; }

// --- Fixture: a temporary folder per test, alignd processes started in it ----------------------

class AligndTest : public ::testing::Test {
 protected:
  // Starts alignd with the standard rules on a free loopback port (plus `extra` flags) and waits
  // until it serves; null (with a test failure) when it does not.
  std::unique_ptr<AligndProcess> Serve(std::vector<std::string> extra = {},
                                       const std::string& rules = kRulesDir) {
    std::vector<std::string> args = {"--rules", rules, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto alignd = std::make_unique<AligndProcess>(args, dir_.path());
    if (!alignd->WaitUntilServing()) {
      ADD_FAILURE() << "alignd did not start serving; its output:\n" << alignd->Output();
      return nullptr;
    }
    return alignd;
  }

  // Runs alignd expecting it to exit by itself; the exit code (nullopt if it kept running).
  std::optional<int> RunToExit(std::vector<std::string> args, std::string* output) {
    AligndProcess alignd(std::move(args), dir_.path());
    std::optional<int> code = alignd.WaitForExit(kExitTimeout);
    *output = alignd.Output();
    return code;
  }

  std::string WriteTokenFile(const std::string& contents) {
    std::string path = dir_ / "admin.token";
    WriteTextFile(path, contents);
    return path;
  }

  // A copy of the standard rules in a folder of its own (for reloads from the folder).
  std::string CopyOfStandardRules() {
    fs::path rules = dir_.path() / "rules";
    fs::create_directories(rules);
    WriteRuleFolder(rules, StandardRuleFiles());
    return rules.string();
  }

  TempDir dir_{"alignd_test"};
};

// --- 1. Start-up, health, reflection, clean exit ------------------------------------------------

TEST_F(AligndTest, ServesHealthAndLogsReadyLineThenExitsCleanlyOnSigterm) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  auto channel = ConnectInsecure(alignd->address());

  for (const std::string& service : std::vector<std::string>{"", kAdvisorService}) {
    auto health = CheckHealth(channel, service);
    EXPECT_THAT(health.status, GrpcOk()) << "service '" << service << "'";
    EXPECT_EQ(health.serving_status, kServing) << "service '" << service << "'";
  }

  proto::RuleBaseInfo info;
  ASSERT_THAT(Advisor(channel).GetRuleBase(&info), GrpcOk());
  ASSERT_TRUE(IsLowerHex(info.digest(), 64)) << info.digest();
  const std::string ready = absl::StrCat("alignd: serving alignment.standard 1.0.0 (sha256 ",
                                         info.digest().substr(0, 12), ") on ",
                                         alignd->address(), "\n");
  EXPECT_TRUE(alignd->WaitForOutput(ready)) << "expected: " << ready << "output:\n"
                                            << alignd->Output();

  alignd->Signal(SIGTERM);
  EXPECT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();

  auto after = CheckHealth(ConnectInsecure(alignd->address()), "", absl::Seconds(3));
  EXPECT_THAT(after.status, GrpcStatusIs(grpc::UNAVAILABLE, ::testing::_));
}

TEST_F(AligndTest, SigintAlsoExitsCleanly) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  alignd->Signal(SIGINT);
  EXPECT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();
}

TEST_F(AligndTest, PortFileHoldsTheBoundPort) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  EXPECT_GT(alignd->port(), 0);
  EXPECT_LT(alignd->port(), 65536);
  EXPECT_EQ(CheckHealth(ConnectInsecure(alignd->address()), kAdvisorService).serving_status,
            kServing);
}

TEST_F(AligndTest, ReflectionListsTheAdvisorAndHealthServices) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  GenericStream stream(ConnectInsecure(alignd->address()),
                       "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  // ServerReflectionRequest{list_services (7): ""}.
  ASSERT_TRUE(stream.Start(EncodeStringField(7, "")));
  std::optional<std::string> response = stream.Read();
  ASSERT_TRUE(response.has_value()) << stream.Finish().error_message();
  EXPECT_THAT(*response, HasSubstr(kAdvisorService));
  EXPECT_THAT(*response, HasSubstr("grpc.health.v1.Health"));
  EXPECT_FALSE(stream.Read().has_value());
  EXPECT_THAT(stream.Finish(), GrpcOk());
}

// --- 2. Every RPC: the happy path and every error code ------------------------------------------

TEST_F(AligndTest, DiagnoseAnswersAsTheEngineWithRuleBaseAndUniqueDecisionIds) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  const proto::Assessment assessment = Example("overloaded-it.yaml");

  proto::Diagnosis first, second;
  ASSERT_THAT(advisor.Diagnose(assessment, &first), GrpcOk());
  ASSERT_THAT(advisor.Diagnose(assessment, &second), GrpcOk());

  EXPECT_EQ(first.rule_base().id(), "alignment.standard");
  EXPECT_EQ(first.rule_base().version(), "1.0.0");
  EXPECT_TRUE(IsLowerHex(first.rule_base().digest(), 64)) << first.rule_base().digest();
  EXPECT_EQ(first.rule_base().digest(), StandardRules()->digest());
  EXPECT_THAT(first.decision_id(), Not(IsEmpty()));
  EXPECT_THAT(second.decision_id(), Not(IsEmpty()));
  EXPECT_NE(first.decision_id(), second.decision_id());
  ASSERT_GE(first.causes_size(), 1);
  EXPECT_EQ(first.causes(0).id(), "cause.overwork");

  auto expected = inference::Engine(StandardRules()).Diagnose(assessment);
  ASSERT_TRUE(expected.ok()) << expected.status();
  proto::Diagnosis answered = first;
  answered.clear_decision_id();
  EXPECT_TRUE(ProtoEquals(answered, *expected));

  // One JSON line per call on stderr, naming the decision.
  ASSERT_TRUE(alignd->WaitForOutput(first.decision_id())) << alignd->Output();
  const std::string line = LineWith(alignd->Output(), first.decision_id());
  EXPECT_THAT(line, StartsWith("{"));
  EXPECT_THAT(line, ::testing::EndsWith("}"));
  EXPECT_THAT(line, HasSubstr("\"method\":\"Diagnose\""));
  EXPECT_THAT(line, HasSubstr("\"status\":\"OK\""));
  EXPECT_THAT(line, HasSubstr("\"rule_base\":\"alignment.standard@1.0.0\""));
  EXPECT_THAT(line, HasSubstr(absl::StrCat("\"decision_id\":\"", first.decision_id(), "\"")));
  for (const char* key : {"\"time\":", "\"latency_us\":", "\"peer\":"}) {
    EXPECT_THAT(line, HasSubstr(key));
  }
}

TEST_F(AligndTest, DiagnoseAppliesTheOptions) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  request.mutable_options()->set_max_causes(1);
  request.mutable_options()->set_max_actions(2);
  request.mutable_options()->set_max_questions(1);
  request.mutable_options()->set_omit_explanations(true);
  request.mutable_options()->add_why_not("cause.missed_market_shift");

  proto::Diagnosis diagnosis;
  ASSERT_THAT(advisor.Diagnose(request, &diagnosis), GrpcOk());
  ASSERT_EQ(diagnosis.causes_size(), 1);
  EXPECT_EQ(diagnosis.actions_size(), 2);
  EXPECT_LE(diagnosis.open_questions_size(), 1);
  EXPECT_FALSE(diagnosis.causes(0).has_explanation());
  ASSERT_EQ(diagnosis.why_not_size(), 1);
  EXPECT_EQ(diagnosis.why_not(0).node_id(), "cause.missed_market_shift");

  auto expected = inference::Engine(StandardRules())
                      .Diagnose(request.assessment(), ToEngineOptions(request.options()));
  ASSERT_TRUE(expected.ok()) << expected.status();
  diagnosis.clear_decision_id();
  EXPECT_TRUE(ProtoEquals(diagnosis, *expected));
}

TEST_F(AligndTest, DiagnoseRejectsAnUndeclaredIndicatorWithASuggestion) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::Assessment assessment = Example("overloaded-it.yaml");
  (*assessment.mutable_observations())["capacity.utilisaton"].set_number(93);
  proto::Diagnosis diagnosis;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).Diagnose(assessment, &diagnosis),
              GrpcStatusIs(grpc::INVALID_ARGUMENT,
                           HasSubstr("observations[\"capacity.utilisaton\"]: undeclared "
                                     "indicator; did you mean 'capacity.utilisation'?")));
}

TEST_F(AligndTest, DiagnoseWhyNotAnUnknownNodeIsNotFound) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  request.mutable_options()->add_why_not("cause.overwrk");
  proto::Diagnosis diagnosis;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).Diagnose(request, &diagnosis),
              GrpcStatusIs(grpc::NOT_FOUND, HasSubstr("unknown node 'cause.overwrk'")));
}

TEST_F(AligndTest, DiagnoseOfBytesThatAreNotADiagnoseRequestIsInvalidArgument) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  auto channel = ConnectInsecure(alignd->address());
  const std::string method = "/" + kAdvisorService + "/Diagnose";
  for (const std::string& bytes : {
           std::string("\xff\xff\xff\xff"),          // a tag with no end
           std::string("\x0a\x10\x0a", 3),            // assessment: 16 bytes promised, 1 given
           std::string("\x12\x02\x20\xff", 4),       // options.max_questions: a cut varint
           EncodeStringField(1, "\x0a\x05" "ab"),     // assessment.organisation cut short
       }) {
    SCOPED_TRACE(absl::CEscape(bytes));
    auto [status, answer] = CallUnary(channel, method, bytes, kRpcTimeout);
    EXPECT_THAT(status, GrpcStatusIs(grpc::INVALID_ARGUMENT,
                                     Eq("request: not a valid alignment.v1.DiagnoseRequest")));
  }
  // The server goes on answering well-formed calls.
  proto::Diagnosis diagnosis;
  EXPECT_THAT(Advisor(channel).Diagnose(Example("healthy.yaml"), &diagnosis), GrpcOk());
}

TEST_F(AligndTest, DiagnoseAnswersEqualTheEnginesApartFromTheDecisionId) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  inference::Engine engine(StandardRules());
  std::vector<proto::DiagnoseOptions> option_sets(4);
  option_sets[1].set_omit_explanations(true);
  option_sets[2].set_max_causes(2);
  option_sets[2].set_max_questions(0);
  option_sets[2].add_why_not("cause.missed_market_shift");
  option_sets[2].add_why_not("cause.overwork");
  option_sets[3].set_max_would_fire(3);
  option_sets[3].set_max_patterns(1);
  for (const char* example : {"healthy.yaml", "idle-platform.yaml", "it-last-to-know.yaml",
                              "missed-market-shift.yaml", "overloaded-it.yaml", "sparse.yaml"}) {
    for (size_t i = 0; i < option_sets.size(); ++i) {
      SCOPED_TRACE(absl::StrCat(example, ", options ", i));
      proto::DiagnoseRequest request;
      *request.mutable_assessment() = Example(example);
      *request.mutable_options() = option_sets[i];
      proto::Diagnosis answered;
      ASSERT_THAT(advisor.Diagnose(request, &answered), GrpcOk());
      EXPECT_TRUE(IsLowerHex(answered.decision_id(), 32)) << answered.decision_id();

      // The options converted here, not by the server's own converter: a field it dropped
      // would otherwise be dropped on both sides.
      absl::StatusOr<proto::Diagnosis> expected =
          engine.Diagnose(request.assessment(), ToEngineOptions(request.options()));
      ASSERT_TRUE(expected.ok()) << expected.status();
      answered.clear_decision_id();
      EXPECT_TRUE(ProtoEquals(answered, *expected));
    }
  }
}

// alignd sends the bytes the engine writes with the call's decision id among them, in field
// order: the serialiser's bytes for the same message, byte for byte.
TEST_F(AligndTest, DiagnoseSendsTheEnginesBytesWithItsDecisionIdInPlace) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  auto [status, answer] = CallUnary(ConnectInsecure(alignd->address()),
                                    "/" + kAdvisorService + "/Diagnose",
                                    request.SerializeAsString(), kRpcTimeout);
  ASSERT_THAT(status, GrpcOk());
  proto::Diagnosis parsed;
  ASSERT_TRUE(parsed.ParseFromString(answer));
  EXPECT_TRUE(IsLowerHex(parsed.decision_id(), 32)) << parsed.decision_id();
  // Field 13 comes after the id (12): the list of waiting rules was cut at its default.
  EXPECT_TRUE(parsed.would_fire_truncated());
  EXPECT_TRUE(answer == parsed.SerializeAsString()) << "not in the serialiser's field order";

  inference::DiagnoseOptions options;
  options.decision_id = parsed.decision_id();
  std::string engine_bytes;
  ASSERT_TRUE(inference::Engine(StandardRules())
                  .DiagnoseToWire(request.assessment(), options, &engine_bytes)
                  .ok());
  EXPECT_TRUE(answer == engine_bytes) << "the answer is not the engine's bytes";
}

TEST_F(AligndTest, ExplainAnswersInTheOrderAsked) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ExplainRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  request.add_node_ids("cause.overwork");
  request.add_node_ids("cause.missed_market_shift");
  request.add_node_ids("pattern.capability_shortfall");

  proto::ExplainResponse response;
  ASSERT_THAT(Advisor(ConnectInsecure(alignd->address())).Explain(request, &response), GrpcOk());
  EXPECT_EQ(response.rule_base().id(), "alignment.standard");
  EXPECT_EQ(response.rule_base().version(), "1.0.0");
  EXPECT_EQ(response.rule_base().digest(), StandardRules()->digest());
  ASSERT_EQ(response.explanations_size(), 3);
  inference::Engine engine(StandardRules());
  for (int i = 0; i < 3; ++i) {
    auto expected = engine.Explain(request.assessment(), request.node_ids(i));
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_TRUE(ProtoEquals(response.explanations(i), *expected)) << request.node_ids(i);
  }
  EXPECT_TRUE(response.explanations(0).concluded());
  EXPECT_FALSE(response.explanations(1).concluded());
}

TEST_F(AligndTest, ExplainWithoutNodeIdsIsInvalidArgument) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ExplainRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::ExplainResponse response;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).Explain(request, &response),
              GrpcStatusIs(grpc::INVALID_ARGUMENT, Eq("node_ids: give at least one node id")));
}

TEST_F(AligndTest, ExplainAnUnknownNodeIsNotFoundWithASuggestion) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ExplainRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  request.add_node_ids("cause.overwork");
  request.add_node_ids("cause.overwrk");
  proto::ExplainResponse response;
  EXPECT_THAT(
      Advisor(ConnectInsecure(alignd->address())).Explain(request, &response),
      GrpcStatusIs(grpc::NOT_FOUND,
                   Eq("unknown node 'cause.overwrk'; did you mean 'cause.overwork'?")));
}

TEST_F(AligndTest, ExplainABadAssessmentIsInvalidArgument) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ExplainRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  (*request.mutable_assessment()->mutable_observations())["capacity.utilisaton"].set_number(50);
  request.add_node_ids("cause.overwork");
  proto::ExplainResponse response;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).Explain(request, &response),
              GrpcStatusIs(grpc::INVALID_ARGUMENT,
                           HasSubstr("observations[\"capacity.utilisaton\"]: undeclared "
                                     "indicator; did you mean 'capacity.utilisation'?")));
}

TEST_F(AligndTest, GetRuleBaseDescribesTheLoadedRuleBase) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::RuleBaseInfo info;
  const absl::Time before_call = absl::Now();
  ASSERT_THAT(Advisor(ConnectInsecure(alignd->address())).GetRuleBase(&info), GrpcOk());

  EXPECT_EQ(info.id(), "alignment.standard");
  EXPECT_EQ(info.version(), "1.0.0");
  EXPECT_EQ(info.digest(), StandardRules()->digest());
  EXPECT_GT(info.counts().indicators(), 0);
  EXPECT_GT(info.counts().causes(), 0);
  EXPECT_GT(info.counts().rules(), 0);
  EXPECT_EQ(info.indicators_size(), info.counts().indicators());
  EXPECT_EQ(info.rules_size(), info.counts().rules());
  auto capacity = std::find_if(info.indicators().begin(), info.indicators().end(),
                               [](const auto& i) { return i.id() == "capacity.utilisation"; });
  ASSERT_NE(capacity, info.indicators().end());
  EXPECT_THAT(capacity->question(), Not(IsEmpty()));

  absl::Time loaded_at;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, info.loaded_at(), &loaded_at, &error))
      << "loaded_at '" << info.loaded_at() << "': " << error;
  EXPECT_LE(loaded_at, before_call + absl::Seconds(1));
  EXPECT_GE(loaded_at, before_call - absl::Minutes(5));

  proto::RuleBaseInfo expected = inference::DescribeRuleBase(*StandardRules());
  info.clear_loaded_at();
  expected.clear_loaded_at();
  EXPECT_TRUE(ProtoEquals(info, expected));
}

TEST_F(AligndTest, GetDependencyGraphWholeAndFocused) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  for (const std::string focus : {"", "cause.overwork"}) {
    proto::Graph graph;
    ASSERT_THAT(advisor.GetDependencyGraph(focus, &graph), GrpcOk()) << focus;
    EXPECT_GT(graph.nodes_size(), 0) << focus;
    EXPECT_GT(graph.edges_size(), 0) << focus;
    EXPECT_THAT(graph.dot(), StartsWith("digraph")) << focus;
    auto expected = inference::DescribeGraph(*StandardRules(), focus);
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_TRUE(ProtoEquals(graph, *expected)) << focus;
  }
}

TEST_F(AligndTest, GetDependencyGraphOfAnUnknownFocusIsNotFound) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::Graph graph;
  auto expected = inference::DescribeGraph(*StandardRules(), "cause.overwrk");
  ASSERT_EQ(expected.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      Advisor(ConnectInsecure(alignd->address())).GetDependencyGraph("cause.overwrk", &graph),
      GrpcStatusIs(grpc::NOT_FOUND, Eq(std::string(expected.status().message()))));
}

TEST_F(AligndTest, ValidateRulesAcceptsTheStandardFiles) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ValidationReport report;
  ASSERT_THAT(
      Advisor(ConnectInsecure(alignd->address())).ValidateRules(WithVersion("2.3.4"), &report),
      GrpcOk());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.errors(), 0);
  EXPECT_EQ(report.id(), "alignment.standard");
  EXPECT_EQ(report.version(), "2.3.4");
  EXPECT_EQ(report.digest(), LocalDigest(WithVersion("2.3.4")));
}

TEST_F(AligndTest, ValidateRulesReportsTheDiagnosticsOfBrokenFiles) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  BrokenRules broken = MisspeltConclusion();
  proto::ValidationReport report;
  ASSERT_THAT(Advisor(ConnectInsecure(alignd->address())).ValidateRules(broken.files, &report),
              GrpcOk());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.errors(), 1);
  ASSERT_GE(report.diagnostics_size(), 1);
  const proto::Diagnostic& first = report.diagnostics(0);
  EXPECT_EQ(first.file(), "41-causes-rules.rules");
  EXPECT_EQ(first.line(), broken.line);
  EXPECT_EQ(first.column(), broken.column);
  EXPECT_EQ(first.severity(), proto::Diagnostic::SEVERITY_ERROR);
  EXPECT_EQ(first.check(), "unknown-identifier");
  EXPECT_EQ(first.message(),
            "unknown conclusion 'cause.overwrok'; did you mean 'cause.overwork'?");
  EXPECT_THAT(first.formatted(), StartsWith(broken.Formatted()));

  EXPECT_TRUE(ProtoEquals(report, inference::ToValidationReport(CompileLocally(broken.files))));
}

TEST_F(AligndTest, ValidateRulesWithoutFilesIsInvalidArgument) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  proto::ValidationReport report;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).ValidateRules({}, &report),
              GrpcStatusIs(grpc::INVALID_ARGUMENT, Eq("files: give at least one rule file")));
}

// --- 3. TLS and mutual TLS ----------------------------------------------------------------------

// Certificates made with the openssl CLI once for the suite: a CA, a server certificate for
// 127.0.0.1 and localhost, a client certificate from the same CA, and an unrelated CA with a
// client certificate of its own.
class AligndTlsTest : public AligndTest {
 protected:
  static void SetUpTestSuite() {
    tls_ = new TempDir("alignd_tls");
    const std::string dir = tls_->path().string();
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    WriteTextFile(tls_->path() / "server.ext",
                  "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                  "extendedKeyUsage=serverAuth\n");
    WriteTextFile(tls_->path() / "client.ext",
                  "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    const std::vector<std::string> commands = {
        absl::StrCat("openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2",
                     " -subj '/CN=alignd test CA'"),
        absl::StrCat("openssl req -x509 ", key, " -keyout other-ca.key -out other-ca.pem -days 2",
                     " -subj '/CN=unrelated test CA'"),
        absl::StrCat("openssl req ", key, " -keyout server.key -out server.csr",
                     " -subj '/CN=localhost'"),
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 101 -days 2"
        " -extfile server.ext -out server.pem",
        absl::StrCat("openssl req ", key, " -keyout client.key -out client.csr",
                     " -subj '/CN=alignd test client'"),
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 102 -days 2"
        " -extfile client.ext -out client.pem",
        absl::StrCat("openssl req ", key, " -keyout other-client.key -out other-client.csr",
                     " -subj '/CN=unrelated test client'"),
        "openssl x509 -req -in other-client.csr -CA other-ca.pem -CAkey other-ca.key"
        " -set_serial 103 -days 2 -extfile client.ext -out other-client.pem",
    };
    for (const std::string& command : commands) {
      std::string line = absl::StrCat("cd '", dir, "' && ", command, " >>openssl.log 2>&1");
      int status = std::system(line.c_str());
      if (status != 0) {
        FAIL() << command << " failed:\n" << ReadTextFile(tls_->path() / "openssl.log");
      }
    }
  }
  static void TearDownTestSuite() {
    delete tls_;
    tls_ = nullptr;
  }

  static std::string Path(const std::string& name) { return (tls_->path() / name).string(); }
  static std::string Pem(const std::string& name) { return ReadTextFile(tls_->path() / name); }

  // A channel that trusts `ca`, presenting `client` (.pem/.key) when given.
  static std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                                   const std::string& ca,
                                                   const std::string& client = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Pem(ca);
    if (!client.empty()) {
      options.pem_cert_chain = Pem(client + ".pem");
      options.pem_private_key = Pem(client + ".key");
    }
    return Connect(address, grpc::SslCredentials(options));
  }

  std::unique_ptr<AligndProcess> ServeTls(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tls-cert", Path("server.pem"), "--tls-key",
                                     Path("server.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    return Serve(args);
  }

  static TempDir* tls_;
};

TempDir* AligndTlsTest::tls_ = nullptr;

TEST_F(AligndTlsTest, ClientTrustingTheCaIsServed) {
  auto alignd = ServeTls();
  ASSERT_NE(alignd, nullptr);
  auto channel = TlsChannel(alignd->address(), "ca.pem");
  proto::RuleBaseInfo info;
  EXPECT_THAT(Advisor(channel).GetRuleBase(&info), GrpcOk());
  EXPECT_EQ(info.version(), "1.0.0");
  EXPECT_EQ(CheckHealth(channel, kAdvisorService).serving_status, kServing);
}

TEST_F(AligndTlsTest, ClientTrustingAnotherCaIsUnavailable) {
  auto alignd = ServeTls();
  ASSERT_NE(alignd, nullptr);
  proto::RuleBaseInfo info;
  EXPECT_THAT(Advisor(TlsChannel(alignd->address(), "other-ca.pem")).GetRuleBase(&info),
              GrpcStatusIs(grpc::UNAVAILABLE, ::testing::_));
}

TEST_F(AligndTlsTest, PlaintextClientIsUnavailable) {
  auto alignd = ServeTls();
  ASSERT_NE(alignd, nullptr);
  proto::RuleBaseInfo info;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address())).GetRuleBase(&info),
              GrpcStatusIs(grpc::UNAVAILABLE, ::testing::_));
}

TEST_F(AligndTlsTest, MutualTlsServesOnlyClientsWithACertificateFromTheClientCa) {
  auto alignd = ServeTls({"--client-ca", Path("ca.pem")});
  ASSERT_NE(alignd, nullptr);
  proto::RuleBaseInfo info;
  EXPECT_THAT(Advisor(TlsChannel(alignd->address(), "ca.pem")).GetRuleBase(&info),
              GrpcStatusIs(grpc::UNAVAILABLE, ::testing::_))
      << "without a client certificate";
  EXPECT_THAT(
      Advisor(TlsChannel(alignd->address(), "ca.pem", "other-client")).GetRuleBase(&info),
      GrpcStatusIs(grpc::UNAVAILABLE, ::testing::_))
      << "with a client certificate from another CA";
  EXPECT_THAT(Advisor(TlsChannel(alignd->address(), "ca.pem", "client")).GetRuleBase(&info),
              GrpcOk())
      << "with the client certificate";
  EXPECT_EQ(info.version(), "1.0.0");
}

TEST_F(AligndTlsTest, UnreadableCertificateFailsStartUp) {
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", kRulesDir, "--listen", "127.0.0.1:0", "--tls-cert",
                       dir_ / "missing.pem", "--tls-key", Path("server.key")},
                      &output),
            1)
      << output;
  EXPECT_EQ(RunToExit({"--rules", kRulesDir, "--listen", "127.0.0.1:0", "--tls-cert",
                       Path("server.pem"), "--tls-key", Path("server.key"), "--client-ca",
                       dir_ / "missing-ca.pem"},
                      &output),
            1)
      << output;
}

// --- 4. Flags and start-up failures -------------------------------------------------------------

TEST_F(AligndTest, NonLoopbackListenWithoutTlsIsRefused) {
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", kRulesDir, "--listen", "0.0.0.0:50051"}, &output), 2);
  EXPECT_THAT(output, HasSubstr("alignd: refusing to listen on 0.0.0.0:50051 without TLS; pass "
                                "--tls-cert/--tls-key, or --insecure to accept plaintext\n"));
}

TEST_F(AligndTest, MissingRulesFlagIsAUsageError) {
  std::string output;
  EXPECT_EQ(RunToExit({"--listen", "127.0.0.1:0"}, &output), 2) << output;
  EXPECT_THAT(output, HasSubstr("--rules"));
}

TEST_F(AligndTest, UnknownFlagIsAUsageError) {
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", kRulesDir, "--listen", "127.0.0.1:0", "--no-such-flag"},
                      &output),
            2)
      << output;
}

TEST_F(AligndTest, MalformedFlagValuesAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases = {
      {"--max-message-bytes", "lots"},
      {"--max-deadline-ms", "soon"},
      {"--drain-seconds", "-1"},
      {"--tls-cert", dir_ / "server.pem"},  // without --tls-key
  };
  for (const std::vector<std::string>& flags : cases) {
    std::vector<std::string> args = {"--rules", kRulesDir, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::string output;
    EXPECT_EQ(RunToExit(args, &output), 2) << flags[0] << " " << flags[1] << ": " << output;
  }
}

TEST_F(AligndTest, EveryOptionalFlagIsAccepted) {
  auto alignd = Serve({"--insecure", "--max-message-bytes", "1048576", "--max-deadline-ms",
                       "5000", "--drain-seconds", "1", "--decision-log", dir_ / "decisions.jsonl",
                       "--admin-token-file", WriteTokenFile(kAdminToken)});
  ASSERT_NE(alignd, nullptr);
  proto::Diagnosis diagnosis;
  EXPECT_THAT(Advisor(ConnectInsecure(alignd->address()))
                  .Diagnose(Example("healthy.yaml"), &diagnosis),
              GrpcOk());
  alignd->Signal(SIGTERM);
  EXPECT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();
}

TEST_F(AligndTest, RuleBaseWithErrorsFailsStartUpListingTheErrors) {
  fs::path rules = dir_.path() / "broken";
  fs::create_directories(rules);
  BrokenRules broken = MisspeltConclusion();
  WriteRuleFolder(rules, broken.files);
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", rules.string(), "--listen", "127.0.0.1:0"}, &output), 1);
  EXPECT_THAT(output, HasSubstr(broken.Formatted(rules.string())));
  EXPECT_THAT(output, ContainsRegex("41-causes-rules\\.rules:[0-9]+:[0-9]+: error: "));
}

TEST_F(AligndTest, MissingRulesFolderFailsStartUp) {
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", dir_ / "no-such-folder", "--listen", "127.0.0.1:0"}, &output),
            1)
      << output;
}

TEST_F(AligndTest, UnreadableAdminTokenFileFailsStartUp) {
  std::string output;
  EXPECT_EQ(RunToExit({"--rules", kRulesDir, "--listen", "127.0.0.1:0", "--admin-token-file",
                       dir_ / "no-such.token"},
                      &output),
            1)
      << output;
}

// --- 5. Admin token and ReloadRules -------------------------------------------------------------

TEST_F(AligndTest, ReloadRulesIsDisabledWithoutAdminTokenFile) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::ReloadRulesResponse response;
  for (const std::string& authorization : {std::string(), Bearer(kAdminToken)}) {
    EXPECT_THAT(advisor.ReloadRules(WithVersion("1.0.1"), &response, authorization),
                GrpcStatusIs(grpc::PERMISSION_DENIED,
                             Eq("ReloadRules is disabled: alignd was started without "
                                "--admin-token-file")))
        << "authorization '" << authorization << "'";
  }
  proto::RuleBaseInfo info;
  ASSERT_THAT(advisor.GetRuleBase(&info), GrpcOk());
  EXPECT_EQ(info.version(), "1.0.0");
}

TEST_F(AligndTest, ReloadRulesNeedsTheBearerToken) {
  // Surrounding whitespace and the newline are not part of the token.
  auto alignd = Serve({"--admin-token-file", WriteTokenFile("  " + kAdminToken + " \n")});
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::ReloadRulesResponse response;

  EXPECT_THAT(advisor.ReloadRules(WithVersion("1.0.1"), &response, ""),
              GrpcStatusIs(grpc::UNAUTHENTICATED,
                           Eq("ReloadRules needs 'authorization: Bearer <token>' metadata")));
  EXPECT_THAT(advisor.ReloadRules(WithVersion("1.0.1"), &response, Bearer("wrong-token")),
              GrpcStatusIs(grpc::PERMISSION_DENIED, Eq("admin token does not match")));
  EXPECT_THAT(advisor.ReloadRules(WithVersion("1.0.1"), &response, Bearer(kAdminToken + "x")),
              GrpcStatusIs(grpc::PERMISSION_DENIED, Eq("admin token does not match")));
  proto::RuleBaseInfo info;
  ASSERT_THAT(advisor.GetRuleBase(&info), GrpcOk());
  EXPECT_EQ(info.version(), "1.0.0") << "refused reloads changed the rule base";

  ASSERT_THAT(advisor.ReloadRules(WithVersion("1.0.1"), &response, Bearer(kAdminToken)),
              GrpcOk());
  EXPECT_TRUE(response.reloaded());
  EXPECT_EQ(response.previous().id(), "alignment.standard");
  EXPECT_EQ(response.previous().version(), "1.0.0");
  EXPECT_EQ(response.previous().digest(), StandardRules()->digest());
  EXPECT_EQ(response.current().id(), "alignment.standard");
  EXPECT_EQ(response.current().version(), "1.0.1");
  EXPECT_EQ(response.current().digest(), LocalDigest(WithVersion("1.0.1")));
  EXPECT_TRUE(response.report().ok());

  proto::Diagnosis diagnosis;
  ASSERT_THAT(advisor.Diagnose(Example("overloaded-it.yaml"), &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().version(), "1.0.1");
  EXPECT_EQ(diagnosis.rule_base().digest(), response.current().digest());
  ASSERT_THAT(advisor.GetRuleBase(&info), GrpcOk());
  EXPECT_EQ(info.version(), "1.0.1");
  EXPECT_EQ(info.digest(), response.current().digest());
}

TEST_F(AligndTest, ReloadRulesRefusesBrokenFilesAndKeepsServing) {
  auto alignd = Serve({"--admin-token-file", WriteTokenFile(kAdminToken)});
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  BrokenRules broken = MisspeltConclusion(WithVersion("1.0.9"));
  proto::ReloadRulesResponse response;
  grpc::Status status = advisor.ReloadRules(broken.files, &response, Bearer(kAdminToken));
  EXPECT_THAT(status,
              GrpcStatusIs(grpc::INVALID_ARGUMENT,
                           StartsWith("rule base refused, still serving alignment.standard "
                                      "1.0.0:\n")));
  EXPECT_THAT(status.error_message(), HasSubstr(broken.Formatted()));

  proto::Diagnosis diagnosis;
  ASSERT_THAT(advisor.Diagnose(Example("overloaded-it.yaml"), &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().version(), "1.0.0");
  EXPECT_EQ(diagnosis.rule_base().digest(), StandardRules()->digest());
  EXPECT_EQ(CheckHealth(ConnectInsecure(alignd->address()), kAdvisorService).serving_status,
            kServing);
}

TEST_F(AligndTest, ReloadRulesWithoutFilesRereadsTheRulesFolder) {
  const std::string rules = CopyOfStandardRules();
  auto alignd = Serve({"--admin-token-file", WriteTokenFile(kAdminToken)}, rules);
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  WriteRuleFolder(rules, WithVersion("1.0.5"));

  proto::ReloadRulesResponse response;
  ASSERT_THAT(advisor.ReloadRules({}, &response, Bearer(kAdminToken)), GrpcOk());
  EXPECT_TRUE(response.reloaded());
  EXPECT_EQ(response.previous().version(), "1.0.0");
  EXPECT_EQ(response.current().version(), "1.0.5");
  EXPECT_EQ(response.current().digest(), LocalDigest(WithVersion("1.0.5")));

  // A folder that stopped compiling is refused like files are.
  BrokenRules broken = MisspeltConclusion(WithVersion("1.0.6"));
  WriteRuleFolder(rules, broken.files);
  EXPECT_THAT(advisor.ReloadRules({}, &response, Bearer(kAdminToken)),
              GrpcStatusIs(grpc::INVALID_ARGUMENT,
                           StartsWith("rule base refused, still serving alignment.standard "
                                      "1.0.5:\n")));
  proto::Diagnosis diagnosis;
  ASSERT_THAT(advisor.Diagnose(Example("healthy.yaml"), &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().version(), "1.0.5");
}

TEST_F(AligndTest, SighupReloadsFromTheRulesFolder) {
  const std::string rules = CopyOfStandardRules();
  auto alignd = Serve({}, rules);
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  WriteRuleFolder(rules, WithVersion("1.0.7"));
  alignd->Signal(SIGHUP);

  proto::RuleBaseInfo info;
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  do {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_THAT(advisor.GetRuleBase(&info), GrpcOk());
  } while (info.version() != "1.0.7" && absl::Now() < give_up);
  EXPECT_EQ(info.version(), "1.0.7");
  EXPECT_EQ(info.digest(), LocalDigest(WithVersion("1.0.7")));
  EXPECT_TRUE(alignd->Running()) << alignd->Output();

  proto::Diagnosis diagnosis;
  ASSERT_THAT(advisor.Diagnose(Example("healthy.yaml"), &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().version(), "1.0.7");
}

// --- 6. Graceful shutdown -----------------------------------------------------------------------

TEST_F(AligndTest, SigtermLetsCallsInFlightFinish) {
  auto alignd = Serve({"--drain-seconds", "5"});
  ASSERT_NE(alignd, nullptr);
  const proto::Assessment assessment = Example("overloaded-it.yaml");
  constexpr int kThreads = 4;
  constexpr int kMaxCalls = 4000;
  struct Tally {
    std::atomic<int> ok{0};
    int incomplete = 0;                        // OK but without a decision or causes
    std::optional<grpc::Status> first_failure;  // the thread stops there
  };
  std::vector<Tally> tallies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Advisor advisor(ConnectedInsecure(alignd->address()));
      const absl::Time give_up = absl::Now() + absl::Seconds(30);
      for (int call = 0; call < kMaxCalls && absl::Now() < give_up; ++call) {
        proto::Diagnosis diagnosis;
        grpc::Status status = advisor.Diagnose(assessment, &diagnosis);
        if (!status.ok()) {
          tallies[t].first_failure = status;
          return;
        }
        if (diagnosis.decision_id().empty() || diagnosis.causes_size() == 0) {
          ++tallies[t].incomplete;
        }
        ++tallies[t].ok;
      }
    });
  }
  // Every thread busy before the signal.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up &&
         std::any_of(tallies.begin(), tallies.end(), [](const Tally& t) { return t.ok < 10; })) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  alignd->Signal(SIGTERM);
  std::optional<int> code = alignd->WaitForExit(kExitTimeout);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(code, 0) << alignd->Output();

  int answered = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_GE(tallies[t].ok, 10) << "thread " << t;
    EXPECT_EQ(tallies[t].incomplete, 0) << "thread " << t;
    answered += tallies[t].ok;
    // A call that arrives once shutdown has begun never reaches alignd: gRPC refuses it with
    // UNAVAILABLE when the connection is gone, or CANCELLED when its stream was already open.
    if (tallies[t].first_failure.has_value()) {
      EXPECT_THAT(tallies[t].first_failure->error_code(),
                  ::testing::AnyOf(grpc::UNAVAILABLE, grpc::CANCELLED))
          << "thread " << t << " after " << tallies[t].ok << " calls: "
          << tallies[t].first_failure->error_message();
    }
  }
  // alignd's own account (one log line per call it handled): every call that reached it
  // finished OK, and each of those answers reached its client.
  int served_ok = 0, served_otherwise = 0;
  for (absl::string_view line : absl::StrSplit(alignd->Output(), '\n')) {
    if (!absl::StrContains(line, "\"method\":\"Diagnose\"")) continue;
    ++(absl::StrContains(line, "\"status\":\"OK\"") ? served_ok : served_otherwise);
  }
  EXPECT_EQ(served_otherwise, 0) << alignd->Output();
  EXPECT_EQ(served_ok, answered);
}

TEST_F(AligndTest, HealthTurnsNotServingWhenShutdownStarts) {
  auto alignd = Serve({"--drain-seconds", "5"});
  ASSERT_NE(alignd, nullptr);
  {
    GenericStream watch(ConnectInsecure(alignd->address()), "/grpc.health.v1.Health/Watch");
    ASSERT_TRUE(watch.Start(EncodeStringField(1, kAdvisorService)));
    std::optional<std::string> update = watch.Read();
    ASSERT_TRUE(update.has_value()) << watch.Finish().error_message();
    EXPECT_EQ(testing::DecodeServingStatus(*update), kServing);

    alignd->Signal(SIGTERM);
    update = watch.Read(absl::Seconds(10));
    ASSERT_TRUE(update.has_value()) << "the watch ended without NOT_SERVING: "
                                    << (watch.timed_out() ? "timed out"
                                                          : watch.Finish().error_message());
    EXPECT_EQ(testing::DecodeServingStatus(*update), kNotServing);
  }  // Cancels the watch, so that alignd need not wait out the drain period for it.
  EXPECT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();
}

TEST_F(AligndTest, HealthNeverReturnsToServingAfterSigterm) {
  auto alignd = Serve({"--drain-seconds", "2"});
  ASSERT_NE(alignd, nullptr);
  auto channel = ConnectInsecure(alignd->address());
  ASSERT_EQ(CheckHealth(channel, "").serving_status, kServing);
  alignd->Signal(SIGTERM);
  std::vector<int> seen;
  grpc::Status last;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up) {
    auto health = CheckHealth(channel, "", absl::Seconds(2));
    if (!health.status.ok()) {
      last = health.status;
      break;
    }
    seen.push_back(health.serving_status);
    absl::SleepFor(absl::Milliseconds(5));
  }
  // Once alignd stops taking calls, gRPC refuses them (see SigtermLetsCallsInFlightFinish).
  EXPECT_THAT(last.error_code(), ::testing::AnyOf(grpc::UNAVAILABLE, grpc::CANCELLED))
      << last.error_message();
  auto first_not_serving = std::find(seen.begin(), seen.end(), kNotServing);
  EXPECT_TRUE(std::all_of(first_not_serving, seen.end(), [](int s) { return s == kNotServing; }))
      << "SERVING again after NOT_SERVING";
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(),
                          [](int s) { return s == kServing || s == kNotServing; }));
  EXPECT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();
}

// --- 7. Reload under load -----------------------------------------------------------------------

TEST_F(AligndTest, ReloadUnderLoadNeverFailsOrMixesRuleBases) {
  auto alignd = Serve({"--admin-token-file", WriteTokenFile(kAdminToken)});
  ASSERT_NE(alignd, nullptr);
  Advisor admin(ConnectInsecure(alignd->address()));
  proto::RuleBaseInfo info;
  ASSERT_THAT(admin.GetRuleBase(&info), GrpcOk());
  ASSERT_EQ(info.version(), "1.0.0");
  std::map<std::string, std::string> live = {{"1.0.0", info.digest()}};  // version -> digest

  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  request.mutable_options()->set_omit_explanations(true);

  constexpr int kThreads = 4;
  constexpr int kMaxCalls = 5000;
  struct Seen {
    std::vector<proto::RuleBaseRef> refs;  // in call order
    std::vector<std::string> failures;
    std::atomic<int> calls{0};
  };
  std::vector<Seen> seen(kThreads);
  std::atomic<int> newest_patch_seen{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Advisor advisor(ConnectedInsecure(alignd->address()));
      const absl::Time give_up = absl::Now() + absl::Seconds(60);
      while (!stop && seen[t].calls < kMaxCalls && absl::Now() < give_up) {
        proto::Diagnosis diagnosis;
        grpc::Status status = advisor.Diagnose(request, &diagnosis);
        ++seen[t].calls;
        if (!status.ok()) {
          seen[t].failures.push_back(absl::StrCat(testing::GrpcCodeName(status.error_code()),
                                                  ": ", status.error_message()));
          continue;
        }
        seen[t].refs.push_back(diagnosis.rule_base());
        int patch = Patch(diagnosis.rule_base().version());
        int newest = newest_patch_seen;
        while (patch > newest && !newest_patch_seen.compare_exchange_weak(newest, patch)) {
        }
      }
    });
  }
  auto wait_until = [](const std::function<bool()>& done) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!done() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
    return done();
  };
  EXPECT_TRUE(wait_until([&] {
    return std::all_of(seen.begin(), seen.end(), [](const Seen& s) { return s.calls >= 5; });
  }));

  std::string serving = "1.0.0";
  for (int reload = 0; reload < 20; ++reload) {
    proto::ReloadRulesResponse response;
    if (reload % 2 == 0) {
      const std::string version = absl::StrCat("1.0.", reload / 2 + 1);
      const std::vector<proto::SourceFile> files = WithVersion(version);
      ASSERT_THAT(admin.ReloadRules(files, &response, Bearer(kAdminToken)), GrpcOk()) << version;
      EXPECT_TRUE(response.reloaded());
      EXPECT_EQ(response.previous().version(), serving);
      EXPECT_EQ(response.previous().digest(), live[serving]);
      EXPECT_EQ(response.current().version(), version);
      EXPECT_EQ(response.current().digest(), LocalDigest(files));
      live[version] = response.current().digest();
      serving = version;
      // Let the clients meet every version that went live.
      EXPECT_TRUE(wait_until([&] { return newest_patch_seen >= Patch(version); })) << version;
    } else {
      BrokenRules broken = MisspeltConclusion(WithVersion("1.0.99"));
      EXPECT_THAT(
          admin.ReloadRules(broken.files, &response, Bearer(kAdminToken)),
          GrpcStatusIs(grpc::INVALID_ARGUMENT,
                       StartsWith(absl::StrCat("rule base refused, still serving "
                                               "alignment.standard ",
                                               serving, ":\n"))));
    }
  }
  stop = true;
  for (std::thread& thread : threads) thread.join();

  std::set<std::string> versions_seen;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(seen[t].failures, IsEmpty()) << "thread " << t;
    EXPECT_GT(seen[t].refs.size(), 0u) << "thread " << t;
    int previous_patch = 0;
    for (const proto::RuleBaseRef& ref : seen[t].refs) {
      versions_seen.insert(ref.version());
      EXPECT_EQ(ref.id(), "alignment.standard");
      auto digest = live.find(ref.version());
      if (digest == live.end()) {
        ADD_FAILURE() << "thread " << t << " saw version " << ref.version()
                      << ", which never went live";
        break;
      }
      EXPECT_EQ(ref.digest(), digest->second) << "thread " << t << ", " << ref.version();
      int patch = Patch(ref.version());
      if (patch < previous_patch) {
        ADD_FAILURE() << "thread " << t << " saw " << ref.version() << " after 1.0."
                      << previous_patch;
        break;
      }
      previous_patch = patch;
    }
  }
  EXPECT_EQ(versions_seen.size(), live.size());  // every live version served someone
  proto::Diagnosis last;
  ASSERT_THAT(admin.Diagnose(request, &last), GrpcOk());
  EXPECT_EQ(last.rule_base().version(), "1.0.10");
  EXPECT_EQ(last.rule_base().digest(), live["1.0.10"]);
}

// --- 8. Decision log ----------------------------------------------------------------------------

TEST_F(AligndTest, DecisionLogHasOneJsonLinePerDiagnosis) {
  const std::string log = dir_ / "decisions.jsonl";
  auto alignd = Serve({"--decision-log", log});
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  std::vector<proto::Diagnosis> diagnoses(3);
  ASSERT_THAT(advisor.Diagnose(Example("overloaded-it.yaml"), &diagnoses[0]), GrpcOk());
  ASSERT_THAT(advisor.Diagnose(Example("idle-platform.yaml"), &diagnoses[1]), GrpcOk());
  ASSERT_THAT(advisor.Diagnose(Example("overloaded-it.yaml"), &diagnoses[2]), GrpcOk());
  alignd->Signal(SIGTERM);
  ASSERT_EQ(alignd->WaitForExit(kExitTimeout), 0) << alignd->Output();

  std::vector<std::string> lines = absl::StrSplit(ReadTextFile(log), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << ReadTextFile(log);
  std::vector<std::string> input_digests;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    SCOPED_TRACE(line);
    EXPECT_THAT(line, StartsWith("{"));
    EXPECT_THAT(line, ::testing::EndsWith("}"));
    EXPECT_EQ(JsonString(line, "decision_id"), diagnoses[i].decision_id());
    for (const char* key : {"\"time\":", "\"input_digest\":", "\"rule_base\":", "\"causes\":",
                            "\"actions\":"}) {
      EXPECT_THAT(line, HasSubstr(key));
    }
    EXPECT_THAT(line, HasSubstr("alignment.standard"));
    EXPECT_THAT(line, HasSubstr("1.0.0"));
    EXPECT_THAT(line, HasSubstr(diagnoses[i].rule_base().digest()));
    // The leading causes and actions of the answer, in its order.
    EXPECT_THAT(JsonIdList(line, "causes"), IsLeadingIdsOf(diagnoses[i].causes()));
    EXPECT_THAT(JsonIdList(line, "actions"), IsLeadingIdsOf(diagnoses[i].actions()));
    input_digests.push_back(JsonString(line, "input_digest"));
  }
  EXPECT_THAT(input_digests[0], Not(IsEmpty()));
  EXPECT_EQ(input_digests[0], input_digests[2]) << "same assessment, same input digest";
  EXPECT_NE(input_digests[0], input_digests[1]);
}

// --- 9. Limits: message size, deadlines, cancellation -------------------------------------------

TEST_F(AligndTest, RequestOverMaxMessageBytesIsResourceExhausted) {
  auto alignd = Serve({"--max-message-bytes", "65536"});
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  request.mutable_options()->set_omit_explanations(true);

  request.mutable_assessment()->set_description(std::string(50000, 'x'));
  proto::Diagnosis diagnosis;
  EXPECT_THAT(advisor.Diagnose(request, &diagnosis), GrpcOk()) << "under the limit";

  request.mutable_assessment()->set_description(std::string(70000, 'x'));
  EXPECT_THAT(advisor.Diagnose(request, &diagnosis),
              GrpcStatusIs(grpc::RESOURCE_EXHAUSTED, ::testing::_));
  EXPECT_TRUE(alignd->Running());
  EXPECT_EQ(CheckHealth(ConnectInsecure(alignd->address()), "").serving_status, kServing);
}

TEST_F(AligndTest, DefaultMaxMessageIsFourMebibytes) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  request.mutable_options()->set_omit_explanations(true);
  request.mutable_assessment()->set_description(std::string(4194304 + 1, 'x'));
  proto::Diagnosis diagnosis;
  EXPECT_THAT(advisor.Diagnose(request, &diagnosis),
              GrpcStatusIs(grpc::RESOURCE_EXHAUSTED, ::testing::_));
  request.mutable_assessment()->set_description(std::string(4000000, 'x'));
  EXPECT_THAT(advisor.Diagnose(request, &diagnosis), GrpcOk());
}

TEST_F(AligndTest, ExpiredDeadlineIsDeadlineExceeded) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  proto::RuleBaseInfo info;
  ASSERT_THAT(advisor.GetRuleBase(&info), GrpcOk());  // connected

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::Diagnosis diagnosis;
  EXPECT_THAT(advisor.stub().Diagnose(&context, request, &diagnosis),
              GrpcStatusIs(grpc::DEADLINE_EXCEEDED, ::testing::_));
}

TEST_F(AligndTest, CancelledCallIsCancelled) {
  auto alignd = Serve();
  ASSERT_NE(alignd, nullptr);
  Advisor advisor(ConnectInsecure(alignd->address()));
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(kRpcTimeout));
  context.TryCancel();
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::Diagnosis diagnosis;
  EXPECT_THAT(advisor.stub().Diagnose(&context, request, &diagnosis),
              GrpcStatusIs(grpc::CANCELLED, ::testing::_));
  // The server is unaffected.
  EXPECT_THAT(advisor.Diagnose(request, &diagnosis), GrpcOk());
}

}  // namespace
}  // namespace align
