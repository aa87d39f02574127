// The advisor service in process: a real grpc::Server on 127.0.0.1:0 with AdvisorService over
// the standard rule base, called through an insecure channel. Every RPC, every error code and
// message, the admin token, hot reload, the request and decision logs, the deadline cap and
// cancellation; then the whole server as alignd starts it (health, message size, flags).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alignment/v1/advisor.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/engine.h"
#include "inference/io/assessment_reader.h"
#include "inference/lang/diagnostics.h"
#include "inference/lint/linter.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/describe.h"
#include "inference/rulebase/loader.h"
#include "inference/util/format.h"
#include "service/advisor_service.h"
#include "service/auth.h"
#include "service/decision_log.h"
#include "service/engine_holder.h"
#include "service/logging.h"
#include "service/server.h"
#include "service/unary_call.h"
#include "tests/status_matchers.h"

namespace grpc {
inline void PrintTo(const Status& status, std::ostream* os) {
  *os << "grpc::Status(" << static_cast<int>(status.error_code()) << ", \""
      << status.error_message() << "\")";
}
}  // namespace grpc

namespace align::service {
namespace {

namespace fs = std::filesystem;
using ::align::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kSource = ALIGN_SOURCE_DIR;
const std::string kRules = kSource + "/rules";
const std::string kToken = "s3cret-admin-token";

MATCHER_P2(GrpcIs, code, message_matcher, "") {
  if (arg.error_code() != code) {
    *result_listener << "code is " << static_cast<int>(arg.error_code()) << ": "
                     << arg.error_message();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, arg.error_message(), result_listener);
}

MATCHER(GrpcOk, "") {
  *result_listener << "code " << static_cast<int>(arg.error_code()) << ": " << arg.error_message();
  return arg.ok();
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh temporary folder, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            absl::StrCat("advisor_service_test_", getpid(), "_", test->test_suite_name(), "_",
                         test->name(), "_", counter++);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The standard rule files, as ValidateRules / ReloadRules take them.
std::vector<proto::SourceFile> StandardFiles() {
  std::vector<proto::SourceFile> files;
  absl::StatusOr<std::vector<inference::SourceFile>> read = inference::ReadRuleFiles(kRules);
  EXPECT_TRUE(read.ok()) << read.status();
  for (const inference::SourceFile& file : *read) {
    proto::SourceFile out;
    out.set_path(fs::relative(file.path, kSource).string());
    out.set_text(file.text);
    files.push_back(std::move(out));
  }
  return files;
}

// The standard rule base with its identity line changed to `version`.
std::vector<proto::SourceFile> StandardFilesVersion(const std::string& version) {
  std::vector<proto::SourceFile> files = StandardFiles();
  bool changed = false;
  for (proto::SourceFile& file : files) {
    std::string text = file.text();
    if (absl::StrContains(text, "version \"1.0.0\"")) {
      file.set_text(absl::StrReplaceAll(
          text, {{"version \"1.0.0\"", absl::StrCat("version \"", version, "\"")}}));
      changed = true;
    }
  }
  EXPECT_TRUE(changed);
  return files;
}

std::shared_ptr<const inference::RuleBase> StandardRuleBase() {
  absl::StatusOr<std::shared_ptr<const inference::RuleBase>> rules =
      inference::LoadRuleBase(kRules);
  EXPECT_TRUE(rules.ok()) << rules.status();
  return *rules;
}

proto::Assessment Example(const std::string& name) {
  std::shared_ptr<const inference::RuleBase> rules = StandardRuleBase();
  absl::StatusOr<proto::Assessment> assessment = inference::ReadAssessmentFile(
      kSource + "/examples/assessments/" + name, &rules->schema());
  EXPECT_TRUE(assessment.ok()) << assessment.status();
  return *assessment;
}

// Collects log lines.
class LogCapture {
 public:
  LogSink sink() {
    return [this](const std::string& line) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(line);
    };
  }
  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // Waits until a line contains `text` (calls are logged just after they are answered).
  std::optional<std::string> WaitFor(absl::string_view text) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      for (const std::string& line : lines()) {
        if (absl::StrContains(line, text)) return line;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return std::nullopt;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

struct ServerConfig {
  bool admin = true;                   // start with an admin token
  bool decision_log = true;            // write a decision log in the temporary folder
  std::string rules_path = kRules;     // what ReloadRules without files reads
};

// AdvisorService on a real gRPC server, and a stub to call it.
class TestServer {
 public:
  explicit TestServer(ServerConfig config = {}) {
    holder_ = std::make_unique<EngineHolder>(StandardRuleBase());
    runner_ = std::make_unique<CallRunner>(4, absl::Seconds(10), log_.sink());
    AdvisorServiceOptions options;
    options.rules_path = config.rules_path;
    if (config.admin) options.admin = *AdminAuth::WithToken(kToken);
    if (config.decision_log) {
      decision_log_path_ = dir_.path() / "decisions.jsonl";
      decision_log_ = *DecisionLog::Open(decision_log_path_.string());
      options.decision_log = decision_log_.get();
    }
    options.warnings = log_.sink();
    service_ = std::make_unique<AdvisorService>(*holder_, *runner_, std::move(options));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    EXPECT_GT(port_, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = proto::AlignmentAdvisor::NewStub(channel_);
  }
  ~TestServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    runner_.reset();  // joins workers before the service they use goes
    service_.reset();
  }

  proto::AlignmentAdvisor::Stub& stub() { return *stub_; }
  EngineHolder& holder() { return *holder_; }
  LogCapture& log() { return log_; }
  const fs::path& decision_log_path() const { return decision_log_path_; }

 private:
  TempDir dir_;
  LogCapture log_;
  std::unique_ptr<EngineHolder> holder_;
  std::unique_ptr<CallRunner> runner_;
  std::unique_ptr<DecisionLog> decision_log_;
  fs::path decision_log_path_;
  std::unique_ptr<AdvisorService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::AlignmentAdvisor::Stub> stub_;
};

// A client context with a deadline, as every well-behaved client sets.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(20)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  return context;
}

std::unique_ptr<grpc::ClientContext> AdminContext(const std::string& authorization) {
  std::unique_ptr<grpc::ClientContext> context = Context();
  context->AddMetadata("authorization", authorization);
  return context;
}

proto::RuleBaseRef StandardRef() {
  std::shared_ptr<const inference::RuleBase> rules = StandardRuleBase();
  proto::RuleBaseRef ref;
  ref.set_id(rules->id());
  ref.set_version(rules->version());
  ref.set_digest(rules->digest());
  return ref;
}

// ---------------------------------------------------------------- Diagnose

TEST(Diagnose, AnswersAsTheEngineDoesAndAddsADecisionId) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());

  inference::Engine engine(StandardRuleBase());
  absl::StatusOr<proto::Diagnosis> local = engine.Diagnose(request.assessment(), {});
  ASSERT_TRUE(local.ok());
  EXPECT_THAT(diagnosis.decision_id(), MatchesRegex("[0-9a-f]{32}"));
  proto::Diagnosis without_id = diagnosis;
  without_id.clear_decision_id();
  EXPECT_EQ(without_id.SerializeAsString(), local->SerializeAsString());
  EXPECT_EQ(diagnosis.rule_base().id(), "alignment.standard");
  EXPECT_EQ(diagnosis.rule_base().version(), "1.0.0");
  EXPECT_EQ(diagnosis.rule_base().digest(), StandardRef().digest());
  EXPECT_FALSE(diagnosis.causes().empty());
}

TEST(Diagnose, EveryDecisionHasItsOwnId) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::Diagnosis first, second;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &first), GrpcOk());
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &second), GrpcOk());
  EXPECT_NE(first.decision_id(), second.decision_id());
}

TEST(Diagnose, OptionsReachTheEngine) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  request.mutable_options()->set_max_causes(1);
  request.mutable_options()->set_max_actions(2);
  request.mutable_options()->set_max_questions(1);
  request.mutable_options()->set_omit_explanations(true);
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());

  inference::DiagnoseOptions options;
  options.max_causes = 1;
  options.max_actions = 2;
  options.max_questions = 1;
  options.include_explanations = false;
  inference::Engine engine(StandardRuleBase());
  absl::StatusOr<proto::Diagnosis> local = engine.Diagnose(request.assessment(), options);
  ASSERT_TRUE(local.ok());
  diagnosis.clear_decision_id();
  EXPECT_EQ(diagnosis.SerializeAsString(), local->SerializeAsString());
  EXPECT_THAT(diagnosis.causes(), SizeIs(1));
  EXPECT_FALSE(diagnosis.causes(0).has_explanation());
  EXPECT_LE(diagnosis.open_questions_size(), 1);
}

TEST(Diagnose, AbsentMaxQuestionsMeansFive) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("sparse.yaml");
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());
  inference::Engine engine(StandardRuleBase());
  inference::DiagnoseOptions options;
  options.max_questions = 5;
  absl::StatusOr<proto::Diagnosis> local = engine.Diagnose(request.assessment(), options);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(diagnosis.open_questions_size(), local->open_questions_size());
  EXPECT_EQ(diagnosis.open_questions_size(), 5);
}

TEST(Diagnose, BadAssessmentIsInvalidArgumentNamingTheField) {
  TestServer server;
  proto::DiagnoseRequest request;
  (*request.mutable_assessment()->mutable_observations())["capacity.utilisation"].set_number(150);
  proto::Diagnosis diagnosis;
  grpc::Status status = server.stub().Diagnose(Context().get(), request, &diagnosis);

  inference::Engine engine(StandardRuleBase());
  absl::Status local = engine.Diagnose(request.assessment(), {}).status();
  ASSERT_EQ(local.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, std::string(local.message())));
  EXPECT_THAT(status.error_message(), StartsWith("observations[\"capacity.utilisation\"]: "));
}

TEST(Diagnose, MisspelledIndicatorSuggestsTheRightOne) {
  TestServer server;
  proto::DiagnoseRequest request;
  (*request.mutable_assessment()->mutable_observations())["capacity.utilisaton"].set_number(50);
  proto::Diagnosis diagnosis;
  EXPECT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                     AllOf(StartsWith("observations[\"capacity.utilisaton\"]: "),
                           HasSubstr("capacity.utilisation"))));
}

TEST(Diagnose, NegativeLimitIsInvalidArgument) {
  TestServer server;
  proto::DiagnoseRequest request;
  request.mutable_options()->set_max_causes(-1);
  proto::Diagnosis diagnosis;
  EXPECT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                     "options.max_causes: must be 0 (all) or more, got -1"));
  request.mutable_options()->set_max_causes(0);
  request.mutable_options()->set_max_questions(-3);
  EXPECT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                     "options.max_questions: must be 0 or more, got -3"));
  request.mutable_options()->set_max_questions(0);
  request.mutable_options()->set_max_would_fire(-2);
  EXPECT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                     "options.max_would_fire: must be -1 (all), 0 (none) or more, got -2"));
  // -1 is every waiting rule: the same list as a limit larger than the rule base, and more
  // than the default ten (the empty assessment leaves most of the standard base waiting).
  request.mutable_options()->set_max_would_fire(1000000);
  proto::Diagnosis beyond;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &beyond), GrpcOk());
  request.mutable_options()->set_max_would_fire(-1);
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());
  EXPECT_GT(diagnosis.would_fire_size(), 10);
  ASSERT_EQ(diagnosis.would_fire_size(), beyond.would_fire_size());
  for (int i = 0; i < diagnosis.would_fire_size(); ++i) {
    EXPECT_EQ(diagnosis.would_fire(i).rule_id(), beyond.would_fire(i).rule_id()) << i;
  }
  EXPECT_FALSE(diagnosis.would_fire_truncated());
}

TEST(Diagnose, UnknownWhyNotIdIsNotFoundWithTheEnginesMessage) {
  TestServer server;
  proto::DiagnoseRequest request;
  request.mutable_options()->add_why_not("cause.no_such_thing");
  proto::Diagnosis diagnosis;
  grpc::Status status = server.stub().Diagnose(Context().get(), request, &diagnosis);
  inference::DiagnoseOptions options;
  options.why_not = {"cause.no_such_thing"};
  absl::Status local = inference::Engine(StandardRuleBase()).Diagnose({}, options).status();
  ASSERT_EQ(local.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::NOT_FOUND, std::string(local.message())));
  EXPECT_THAT(status.error_message(), StartsWith("unknown node 'cause.no_such_thing'"));
}

TEST(Diagnose, WritesOneRequestLogLine) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"Diagnose\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line,
              MatchesRegex(absl::StrCat(
                  R"(\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z",)",
                  R"("method":"Diagnose","status":"OK","latency_us":[0-9]+,)",
                  R"("rule_base":"alignment\.standard@1\.0\.0","decision_id":")",
                  diagnosis.decision_id(), R"(","peer":"ipv4:127\.0\.0\.1:[0-9]+"\})")));
}

TEST(Diagnose, FailedCallIsLoggedWithItsCodeAndNoDecisionId) {
  TestServer server;
  proto::DiagnoseRequest request;
  request.mutable_options()->add_why_not("nope");
  proto::Diagnosis diagnosis;
  server.stub().Diagnose(Context().get(), request, &diagnosis);
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"Diagnose\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"NOT_FOUND")"));
  EXPECT_THAT(*line, HasSubstr(R"("decision_id":"")"));
}

TEST(Diagnose, WritesTheDecisionLog) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), request, &diagnosis), GrpcOk());
  ASSERT_GE(diagnosis.causes_size(), 1);
  ASSERT_GE(diagnosis.actions_size(), 1);

  std::vector<std::string> lines =
      absl::StrSplit(ReadText(server.decision_log_path()), '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(1));
  const std::string& line = lines[0];
  const proto::RuleBaseRef ref = StandardRef();
  EXPECT_THAT(line, StartsWith(absl::StrCat("{\"decision_id\":\"", diagnosis.decision_id(),
                                            "\",\"time\":\"")));
  EXPECT_THAT(line, HasSubstr(absl::StrCat(
                        "\"input_digest\":\"", AssessmentDigest(request.assessment()),
                        "\",\"rule_base\":{\"id\":\"alignment.standard\",\"version\":\"1.0.0\","
                        "\"digest\":\"", ref.digest(), "\"},\"causes\":[{\"id\":\"",
                        diagnosis.causes(0).id(), "\",\"certainty\":")));
  EXPECT_THAT(line, HasSubstr(absl::StrCat("\"actions\":[{\"id\":\"", diagnosis.actions(0).id(),
                                           "\",\"certainty\":")));
}

TEST(Diagnose, FailedDiagnosisIsNotInTheDecisionLog) {
  TestServer server;
  proto::DiagnoseRequest request;
  request.mutable_options()->add_why_not("nope");
  proto::Diagnosis diagnosis;
  server.stub().Diagnose(Context().get(), request, &diagnosis);
  EXPECT_EQ(ReadText(server.decision_log_path()), "");
}

// ---------------------------------------------------------------- Explain

TEST(Explain, NoNodeIdsIsInvalidArgument) {
  TestServer server;
  proto::ExplainRequest request;
  proto::ExplainResponse response;
  EXPECT_THAT(server.stub().Explain(Context().get(), request, &response),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "node_ids: give at least one node id"));
}

TEST(Explain, UnknownNodeIsNotFoundWithSuggestion) {
  TestServer server;
  proto::ExplainRequest request;
  request.add_node_ids("cause.overwork");
  request.add_node_ids("capacity.utilisaton");
  proto::ExplainResponse response;
  grpc::Status status = server.stub().Explain(Context().get(), request, &response);
  absl::Status local =
      inference::Engine(StandardRuleBase()).Explain({}, "capacity.utilisaton").status();
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::NOT_FOUND, std::string(local.message())));
  EXPECT_EQ(status.error_message(),
            "unknown node 'capacity.utilisaton'; did you mean 'capacity.utilisation'?");
}

TEST(Explain, OneExplanationPerIdInTheOrderAsked) {
  TestServer server;
  std::shared_ptr<const inference::RuleBase> rules = StandardRuleBase();
  std::vector<std::string> ids;
  for (const inference::NodeInfo& node : rules->nodes()) {
    if (node.kind == inference::NodeKind::kCause) ids.push_back(node.id);
    if (ids.size() == 2) break;
  }
  ASSERT_THAT(ids, SizeIs(2));
  proto::ExplainRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");
  request.add_node_ids(ids[1]);
  request.add_node_ids(ids[0]);
  proto::ExplainResponse response;
  ASSERT_THAT(server.stub().Explain(Context().get(), request, &response), GrpcOk());
  EXPECT_EQ(response.rule_base().SerializeAsString(), StandardRef().SerializeAsString());
  ASSERT_THAT(response.explanations(), SizeIs(2));
  EXPECT_EQ(response.explanations(0).node_id(), ids[1]);
  EXPECT_EQ(response.explanations(1).node_id(), ids[0]);
  inference::Engine engine(rules);
  EXPECT_EQ(response.explanations(0).SerializeAsString(),
            engine.Explain(request.assessment(), ids[1])->SerializeAsString());
}

TEST(Explain, BadAssessmentIsInvalidArgument) {
  TestServer server;
  proto::ExplainRequest request;
  (*request.mutable_assessment()->mutable_observations())["capacity.utilisation"].set_flag(true);
  request.add_node_ids("capacity.utilisation");
  proto::ExplainResponse response;
  EXPECT_THAT(server.stub().Explain(Context().get(), request, &response),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                     StartsWith("observations[\"capacity.utilisation\"]: ")));
}

// ---------------------------------------------------------------- GetRuleBase, graph

TEST(GetRuleBase, DescribesTheServingBaseWithWhenItWasLoaded) {
  TestServer server;
  proto::RuleBaseInfo info;
  ASSERT_THAT(server.stub().GetRuleBase(Context().get(), {}, &info), GrpcOk());
  proto::RuleBaseInfo expected = inference::DescribeRuleBase(*StandardRuleBase());
  EXPECT_THAT(info.loaded_at(),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"));
  EXPECT_EQ(info.loaded_at(), server.holder().Get()->loaded_at);
  info.clear_loaded_at();
  EXPECT_EQ(info.SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(info.id(), "alignment.standard");
  EXPECT_GT(info.counts().rules(), 0);
}

TEST(GetDependencyGraph, WholeGraphWithoutFocus) {
  TestServer server;
  proto::Graph graph;
  ASSERT_THAT(server.stub().GetDependencyGraph(Context().get(), {}, &graph), GrpcOk());
  absl::StatusOr<proto::Graph> local = inference::DescribeGraph(*StandardRuleBase(), "");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(graph.SerializeAsString(), local->SerializeAsString());
  EXPECT_GT(graph.nodes_size(), 50);
  EXPECT_THAT(graph.dot(), StartsWith("digraph"));
}

TEST(GetDependencyGraph, FocusGivesTheNeighbourhood) {
  TestServer server;
  proto::GetDependencyGraphRequest request;
  request.set_focus("capacity.utilisation");
  proto::Graph graph;
  ASSERT_THAT(server.stub().GetDependencyGraph(Context().get(), request, &graph), GrpcOk());
  absl::StatusOr<proto::Graph> local =
      inference::DescribeGraph(*StandardRuleBase(), "capacity.utilisation");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(graph.SerializeAsString(), local->SerializeAsString());
  EXPECT_LT(graph.nodes_size(), static_cast<int>(StandardRuleBase()->nodes().size()));
}

TEST(GetDependencyGraph, UnknownFocusIsNotFound) {
  TestServer server;
  proto::GetDependencyGraphRequest request;
  request.set_focus("capacity.utilisaton");
  proto::Graph graph;
  absl::Status local = inference::DescribeGraph(*StandardRuleBase(), request.focus()).status();
  ASSERT_EQ(local.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(server.stub().GetDependencyGraph(Context().get(), request, &graph),
              GrpcIs(grpc::StatusCode::NOT_FOUND, std::string(local.message())));
}

// ---------------------------------------------------------------- ValidateRules

TEST(ValidateRules, NoFilesIsInvalidArgument) {
  TestServer server;
  proto::ValidationReport report;
  EXPECT_THAT(server.stub().ValidateRules(Context().get(), {}, &report),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "files: give at least one rule file"));
}

TEST(ValidateRules, TheStandardFilesWouldLoad) {
  TestServer server;
  proto::ValidateRulesRequest request;
  for (proto::SourceFile& file : StandardFiles()) *request.add_files() = file;
  proto::ValidationReport report;
  ASSERT_THAT(server.stub().ValidateRules(Context().get(), request, &report), GrpcOk());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.errors(), 0);
  EXPECT_EQ(report.id(), "alignment.standard");
  EXPECT_EQ(report.version(), "1.0.0");
  EXPECT_EQ(report.digest().size(), 64u);
}

TEST(ValidateRules, ErrorsAreTheAnswerNotAFailure) {
  TestServer server;
  proto::ValidateRulesRequest request;
  proto::SourceFile* file = request.add_files();
  file->set_path("draft/broken.rules");
  file->set_text(
      "rulebase draft version \"0.1\"\n"
      "indicator load: number\n"
      "  range: 0 .. 100\n"
      "pattern overload\n"
      "rule too_busy:\n"
      "  when lod > 90\n"
      "  then overload cf 0.8\n");
  proto::ValidationReport report;
  ASSERT_THAT(server.stub().ValidateRules(Context().get(), request, &report), GrpcOk());

  inference::CompileResult local = inference::CompileRuleBase({{file->path(), file->text()}});
  inference::LintCompileResult(local);
  proto::ValidationReport expected = inference::ToValidationReport(local);
  EXPECT_EQ(report.SerializeAsString(), expected.SerializeAsString());
  EXPECT_FALSE(report.ok());
  EXPECT_GE(report.errors(), 1);
  ASSERT_GE(report.diagnostics_size(), 1);
  EXPECT_THAT(report.diagnostics(0).formatted(), StartsWith("draft/broken.rules:"));
  EXPECT_EQ(report.id(), "");
}

TEST(ValidateRules, ReportsTheLintChecksToo) {
  TestServer server;
  proto::ValidateRulesRequest request;
  proto::SourceFile* file = request.add_files();
  file->set_path("draft/dead.rules");
  file->set_text(
      "rulebase draft version \"0.1\"\n"
      "indicator load: number\n"
      "  title: \"Load\"\n"
      "  range: 0 .. 100\n"
      "pattern overload\n"
      "  title: \"Overload\"\n"
      "rule never: when load > 80 and load < 20 then overload\n");
  proto::ValidationReport report;
  ASSERT_THAT(server.stub().ValidateRules(Context().get(), request, &report), GrpcOk());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.errors(), 1);
  std::vector<std::string> checks;
  for (const auto& d : report.diagnostics()) checks.push_back(d.check());
  EXPECT_THAT(checks, ::testing::Contains("never-true"));
  EXPECT_THAT(checks, ::testing::Contains("missing-metadata"));
  for (const auto& d : report.diagnostics()) {
    if (d.check() != "never-true") continue;
    EXPECT_EQ(d.formatted(),
              "draft/dead.rules:7:1: error: rule 'never' can never fire: 'load > 80' and "
              "'load < 20' cannot both hold [never-true]");
  }
}

// ---------------------------------------------------------------- ReloadRules: auth

TEST(ReloadRulesAuth, DisabledWithoutATokenFile) {
  TestServer server(ServerConfig{.admin = false});
  proto::ReloadRulesResponse response;
  EXPECT_THAT(server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &response),
              GrpcIs(grpc::StatusCode::PERMISSION_DENIED,
                     "ReloadRules is disabled: alignd was started without --admin-token-file"));
}

TEST(ReloadRulesAuth, MissingMetadataIsUnauthenticated) {
  TestServer server;
  proto::ReloadRulesResponse response;
  EXPECT_THAT(server.stub().ReloadRules(Context().get(), {}, &response),
              GrpcIs(grpc::StatusCode::UNAUTHENTICATED,
                     "ReloadRules needs 'authorization: Bearer <token>' metadata"));
}

TEST(ReloadRulesAuth, MalformedMetadataIsUnauthenticated) {
  TestServer server;
  for (const std::string& value : {std::string("Basic dXNlcjpwYXNz"), kToken,
                                   std::string("Bearer"), std::string("Bearer   ")}) {
    proto::ReloadRulesResponse response;
    EXPECT_THAT(server.stub().ReloadRules(AdminContext(value).get(), {}, &response),
                GrpcIs(grpc::StatusCode::UNAUTHENTICATED,
                       "ReloadRules needs 'authorization: Bearer <token>' metadata"))
        << value;
  }
}

TEST(ReloadRulesAuth, WrongTokenIsPermissionDenied) {
  TestServer server;
  for (const std::string& value :
       {std::string("Bearer wrong"), "Bearer " + kToken + "x", "Bearer " + kToken.substr(1)}) {
    proto::ReloadRulesResponse response;
    EXPECT_THAT(server.stub().ReloadRules(AdminContext(value).get(), {}, &response),
                GrpcIs(grpc::StatusCode::PERMISSION_DENIED, "admin token does not match"))
        << value;
  }
}

TEST(ReloadRulesAuth, RightTokenReloadsTheFolder) {
  TestServer server;
  proto::ReloadRulesResponse response;
  ASSERT_THAT(server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &response),
              GrpcOk());
  EXPECT_TRUE(response.reloaded());
  EXPECT_EQ(response.previous().SerializeAsString(), StandardRef().SerializeAsString());
  EXPECT_EQ(response.current().SerializeAsString(), StandardRef().SerializeAsString());
  EXPECT_TRUE(response.report().ok());
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"ReloadRules\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"OK")"));
  EXPECT_THAT(*line, Not(HasSubstr(kToken)));
}

TEST(ReloadRulesAuth, SchemeNameIsCaseInsensitive) {
  TestServer server;
  proto::ReloadRulesResponse response;
  EXPECT_THAT(server.stub().ReloadRules(AdminContext("bearer " + kToken).get(), {}, &response),
              GrpcOk());
}

// ---------------------------------------------------------------- ReloadRules: swap

TEST(ReloadRules, GivenFilesAreSwappedInAndUsedByTheNextCall) {
  TestServer server;
  proto::ReloadRulesRequest request;
  for (proto::SourceFile& file : StandardFilesVersion("1.1.0")) *request.add_files() = file;
  proto::ReloadRulesResponse response;
  ASSERT_THAT(server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), request, &response),
              GrpcOk());
  EXPECT_TRUE(response.reloaded());
  EXPECT_EQ(response.previous().version(), "1.0.0");
  EXPECT_EQ(response.current().version(), "1.1.0");
  EXPECT_NE(response.current().digest(), response.previous().digest());
  EXPECT_EQ(response.report().version(), "1.1.0");

  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), {}, &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().SerializeAsString(), response.current().SerializeAsString());
  proto::RuleBaseInfo info;
  ASSERT_THAT(server.stub().GetRuleBase(Context().get(), {}, &info), GrpcOk());
  EXPECT_EQ(info.version(), "1.1.0");
  EXPECT_TRUE(server.log().WaitFor("\"rule_base\":\"alignment.standard@1.1.0\"").has_value());
}

TEST(ReloadRules, RuleBaseWithErrorsIsRefusedAndTheOldOneKeepsServing) {
  TestServer server;
  proto::ReloadRulesRequest request;
  std::vector<proto::SourceFile> files = StandardFiles();
  files[1].set_text(files[1].text() + "\nrule broken.one:\n  when no.such.indicator > 3\n"
                    "  then cause.nothing cf 0.5\n");
  std::vector<inference::SourceFile> local_files;
  for (proto::SourceFile& file : files) {
    local_files.push_back({file.path(), file.text()});
    *request.add_files() = file;
  }
  inference::CompileResult local = inference::CompileRuleBase(local_files);
  ASSERT_TRUE(local.diagnostics.HasErrors());
  std::vector<std::string> errors;
  for (const inference::Diagnostic& d : local.diagnostics.Sorted()) {
    if (d.severity == inference::Severity::kError) errors.push_back(inference::FormatDiagnostic(d));
  }

  proto::ReloadRulesResponse response;
  grpc::Status status =
      server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), request, &response);
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                             "rule base refused, still serving alignment.standard 1.0.0:\n" +
                                 absl::StrJoin(errors, "\n")));
  EXPECT_THAT(status.error_message(), HasSubstr("no.such.indicator"));
  proto::Diagnosis diagnosis;
  ASSERT_THAT(server.stub().Diagnose(Context().get(), {}, &diagnosis), GrpcOk());
  EXPECT_EQ(diagnosis.rule_base().SerializeAsString(), StandardRef().SerializeAsString());
}

TEST(ReloadRules, EmptyFilesReadTheRulesFolderAgain) {
  TempDir dir;
  for (const auto& entry : fs::directory_iterator(kRules)) {
    if (entry.path().extension() == ".rules") {
      fs::copy_file(entry.path(), dir.path() / entry.path().filename());
    }
  }
  TestServer server(ServerConfig{.rules_path = dir.path().string()});
  const fs::path identity = dir.path() / "00-rulebase.rules";
  WriteText(identity, absl::StrReplaceAll(ReadText(identity),
                                          {{"version \"1.0.0\"", "version \"2.0.0\""}}));
  proto::ReloadRulesResponse response;
  ASSERT_THAT(server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &response),
              GrpcOk());
  EXPECT_EQ(response.current().version(), "2.0.0");

  WriteText(identity, ReadText(identity) + "\nthis is not a rule\n");
  grpc::Status status =
      server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &response);
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                             StartsWith("rule base refused, still serving alignment.standard "
                                        "2.0.0:\n" + identity.string() + ":")));
  EXPECT_EQ(server.holder().Get()->ref.version(), "2.0.0");
}

TEST(ReloadRules, ReloadsUnderLoadFailNoCallAndEachAnswerNamesOneWholeBase) {
  TestServer server;
  proto::ReloadRulesRequest v1, v2;
  for (proto::SourceFile& file : StandardFiles()) *v1.add_files() = file;
  for (proto::SourceFile& file : StandardFilesVersion("1.1.0")) *v2.add_files() = file;
  const std::string digest_v1 = StandardRef().digest();
  std::string digest_v2;
  {
    std::vector<inference::SourceFile> files;
    for (const proto::SourceFile& f : v2.files()) files.push_back({f.path(), f.text()});
    digest_v2 = inference::CompileRuleBase(files).rule_base->digest();
  }
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("overloaded-it.yaml");

  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0}, mismatched{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        proto::Diagnosis diagnosis;
        if (!server.stub().Diagnose(Context().get(), request, &diagnosis).ok()) {
          ++failed;
          continue;
        }
        ++answered;
        const proto::RuleBaseRef& ref = diagnosis.rule_base();
        const bool whole = (ref.version() == "1.0.0" && ref.digest() == digest_v1) ||
                           (ref.version() == "1.1.0" && ref.digest() == digest_v2);
        if (!whole) ++mismatched;
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    proto::ReloadRulesResponse response;
    EXPECT_THAT(server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(),
                                          i % 2 == 0 ? v2 : v1, &response),
                GrpcOk());
  }
  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mismatched.load(), 0);
  EXPECT_EQ(server.holder().Get()->ref.version(), "1.0.0");
}

TEST(ReloadRules, MissingFolderIsRefusedKeepingItsCode) {
  TestServer server(ServerConfig{.rules_path = "/nonexistent/alignd/rules"});
  proto::ReloadRulesResponse response;
  EXPECT_THAT(
      server.stub().ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &response),
      GrpcIs(grpc::StatusCode::NOT_FOUND,
             "rule base refused, still serving alignment.standard 1.0.0:\n"
             "/nonexistent/alignd/rules: no such file or folder"));
}

// ---------------------------------------------------------------- EngineHolder

TEST(EngineHolder, SnapshotTakenBeforeASwapKeepsItsBase) {
  EngineHolder holder(StandardRuleBase());
  std::shared_ptr<const ServingRuleBase> before = holder.Get();
  std::vector<inference::SourceFile> files;
  for (const proto::SourceFile& file : StandardFilesVersion("3.0.0")) {
    files.push_back({file.path(), file.text()});
  }
  ASSERT_TRUE(holder.ReloadFromFiles(files).ok());
  EXPECT_EQ(before->ref.version(), "1.0.0");
  EXPECT_EQ(before->engine.rule_base().version(), "1.0.0");
  EXPECT_EQ(holder.Get()->ref.version(), "3.0.0");
  EXPECT_EQ(holder.Get()->label, "alignment.standard@3.0.0");
}

TEST(EngineHolder, ReloadingManyTimesFreesEveryOldBase) {
  EngineHolder holder(StandardRuleBase());
  std::vector<std::weak_ptr<const ServingRuleBase>> old;
  std::vector<std::weak_ptr<const inference::RuleBase>> old_rules;
  for (int i = 0; i < 20; ++i) {
    old.push_back(holder.Get());
    old_rules.push_back(holder.Get()->engine.shared_rule_base());
    ASSERT_TRUE(holder.ReloadFromFolder(kRules).ok());
  }
  for (size_t i = 0; i < old.size(); ++i) {
    EXPECT_TRUE(old[i].expired()) << i;
    EXPECT_TRUE(old_rules[i].expired()) << i;
  }
}

TEST(EngineHolder, OldBaseLivesUntilItsLastUserLetsGo) {
  EngineHolder holder(StandardRuleBase());
  std::shared_ptr<const ServingRuleBase> in_flight = holder.Get();
  std::weak_ptr<const ServingRuleBase> watch = in_flight;
  ASSERT_TRUE(holder.ReloadFromFolder(kRules).ok());
  EXPECT_FALSE(watch.expired());
  in_flight.reset();
  EXPECT_TRUE(watch.expired());
}

// ---------------------------------------------------------------- deadline cap, cancellation

// A service whose GetRuleBase sleeps, to drive CallRunner past its deadlines.
class SlowService final : public proto::AlignmentAdvisor::CallbackService {
 public:
  SlowService(CallRunner& runner, absl::Duration work) : runner_(runner), work_(work) {}

  grpc::ServerUnaryReactor* GetRuleBase(grpc::CallbackServerContext* context,
                                        const proto::GetRuleBaseRequest*,
                                        proto::RuleBaseInfo* response) override {
    std::function<absl::Status(proto::RuleBaseInfo&, CallNotes&)> work =
        [this](proto::RuleBaseInfo& out, CallNotes&) {
          started_.Notify();
          absl::SleepFor(work_);
          out.set_id("slow");
          return absl::OkStatus();
        };
    return runner_.Run(context, "GetRuleBase", "slow@1", response, std::move(work));
  }

  absl::Notification& started() { return started_; }

 private:
  CallRunner& runner_;
  const absl::Duration work_;
  absl::Notification started_;
};

class SlowServer {
 public:
  SlowServer(absl::Duration cap, absl::Duration work)
      : runner_(std::make_unique<CallRunner>(2, cap, log_.sink())),
        service_(std::make_unique<SlowService>(*runner_, work)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = proto::AlignmentAdvisor::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  ~SlowServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    runner_.reset();
    service_.reset();
  }
  proto::AlignmentAdvisor::Stub& stub() { return *stub_; }
  SlowService& service() { return *service_; }
  LogCapture& log() { return log_; }

 private:
  LogCapture log_;
  std::unique_ptr<CallRunner> runner_;
  std::unique_ptr<SlowService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<proto::AlignmentAdvisor::Stub> stub_;
};

TEST(CallRunner, WorkPastTheServerCapEndsWithDeadlineExceededAtTheCap) {
  SlowServer server(absl::Milliseconds(200), absl::Seconds(1));
  proto::RuleBaseInfo info;
  const absl::Time start = absl::Now();
  // The client asks for far longer than the cap.
  grpc::Status status = server.stub().GetRuleBase(Context(absl::Seconds(60)).get(), {}, &info);
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::DEADLINE_EXCEEDED,
                             "deadline exceeded: alignd ends every call after 200 ms "
                             "(--max-deadline-ms)"));
  EXPECT_LT(took, absl::Milliseconds(800));
  EXPECT_EQ(info.id(), "");
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"GetRuleBase\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"DEADLINE_EXCEEDED")"));
}

TEST(CallRunner, CallWithoutADeadlineIsHeldToTheCap) {
  SlowServer server(absl::Milliseconds(200), absl::Seconds(1));
  proto::RuleBaseInfo info;
  grpc::ClientContext context;  // no deadline at all
  EXPECT_THAT(server.stub().GetRuleBase(&context, {}, &info),
              GrpcIs(grpc::StatusCode::DEADLINE_EXCEEDED, HasSubstr("200 ms")));
}

TEST(CallRunner, ClientDeadlineShorterThanTheCapIsHonoured) {
  SlowServer server(absl::Seconds(10), absl::Seconds(1));
  proto::RuleBaseInfo info;
  const absl::Time start = absl::Now();
  grpc::Status status = server.stub().GetRuleBase(Context(absl::Milliseconds(200)).get(), {},
                                                  &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"GetRuleBase\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"DEADLINE_EXCEEDED")"));
}

TEST(CallRunner, CancelledCallEndsCancelledAndIsLoggedSo) {
  SlowServer server(absl::Seconds(10), absl::Seconds(1));
  grpc::ClientContext context;
  proto::RuleBaseInfo info;
  std::promise<grpc::Status> done;
  server.stub().async()->GetRuleBase(&context, &proto::GetRuleBaseRequest::default_instance(),
                                     &info, [&done](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(server.service().started().WaitForNotificationWithTimeout(absl::Seconds(10)));
  context.TryCancel();
  std::future<grpc::Status> result = done.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(result.get().error_code(), grpc::StatusCode::CANCELLED);
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"GetRuleBase\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"CANCELLED")"));
}

TEST(CallRunner, WorkWithinTheCapAnswersNormally) {
  SlowServer server(absl::Seconds(10), absl::Milliseconds(10));
  proto::RuleBaseInfo info;
  ASSERT_THAT(server.stub().GetRuleBase(Context().get(), {}, &info), GrpcOk());
  EXPECT_EQ(info.id(), "slow");
  std::optional<std::string> line = server.log().WaitFor("\"method\":\"GetRuleBase\"");
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr(R"("status":"OK","latency_us":)"));
  EXPECT_THAT(*line, HasSubstr(R"("rule_base":"slow@1")"));
}

TEST(CallRunner, ManyConcurrentCallsAllAnswer) {
  TestServer server;
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("idle-platform.yaml");
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        proto::Diagnosis diagnosis;
        if (server.stub().Diagnose(Context().get(), request, &diagnosis).ok()) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), 80);
}

// ---------------------------------------------------------------- auth, logs, decision ids

TEST(AdminAuth, TokenFileIsTrimmed) {
  TempDir dir;
  WriteText(dir.path() / "token", "  \n s3cret \t\n");
  absl::StatusOr<AdminAuth> auth = AdminAuth::FromTokenFile((dir.path() / "token").string());
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(auth->enabled());
  EXPECT_TRUE(auth->Check("Bearer s3cret").ok());
  EXPECT_THAT(auth->Check("Bearer  s3cret "), StatusIs(absl::StatusCode::kOk, ""));
  EXPECT_THAT(auth->Check("Bearer s3cre"),
              StatusIs(absl::StatusCode::kPermissionDenied, "admin token does not match"));
  EXPECT_THAT(auth->Check(std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "ReloadRules needs 'authorization: Bearer <token>' metadata"));
}

TEST(AdminAuth, EmptyOrMissingTokenFileIsAnError) {
  TempDir dir;
  WriteText(dir.path() / "empty", " \n\t ");
  const std::string empty = (dir.path() / "empty").string();
  EXPECT_THAT(AdminAuth::FromTokenFile(empty),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       empty + ": the admin token file is empty; put the token in it"));
  const std::string missing = (dir.path() / "missing").string();
  EXPECT_THAT(AdminAuth::FromTokenFile(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       missing + ": cannot read the admin token file: No such file or directory"));
}

TEST(AdminAuth, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
  EXPECT_FALSE(ConstantTimeEquals(absl::string_view("a\0b", 3), absl::string_view("a\0c", 3)));
}

TEST(Logging, JsonQuoteEscapesWhatJsonNeeds) {
  using inference::JsonQuote;
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te\x01\r"), "\"a\\\"b\\\\c\\nd\\te\\u0001\\r\"");
  EXPECT_EQ(JsonQuote("naïve"), "\"naïve\"");
}

TEST(Logging, RequestLogLineHasTheContractedFields) {
  RequestLogEntry entry;
  entry.time = absl::FromUnixMicros(1795768200123456);
  entry.method = "Explain";
  entry.code = absl::StatusCode::kNotFound;
  entry.latency_us = 321;
  entry.rule_base = "alignment.standard@1.0.0";
  entry.peer = "ipv4:127.0.0.1:5555";
  EXPECT_EQ(FormatRequestLog(entry),
            "{\"time\":\"2026-11-27T08:30:00.123456Z\",\"method\":\"Explain\","
            "\"status\":\"NOT_FOUND\",\"latency_us\":321,"
            "\"rule_base\":\"alignment.standard@1.0.0\",\"decision_id\":\"\","
            "\"peer\":\"ipv4:127.0.0.1:5555\"}");
}

TEST(DecisionLog, RecordHasTopThreeCausesAndActions) {
  const std::vector<RecordedConclusion> causes = {
      {"cause.c0", 0.9}, {"cause.c1", 0.8}, {"cause.c2", 0.7}, {"cause.c3", 0.6}};
  const std::vector<RecordedConclusion> actions = {{"action.a", 0.55}};
  Decision decision;
  decision.decision_id = "0123456789abcdef0123456789abcdef";
  decision.input_digest = "feed";
  decision.time = absl::FromUnixSeconds(1795768200);
  decision.rule_base_id = "alignment.standard";
  decision.rule_base_version = "1.0.0";
  decision.rule_base_digest = "ab12";
  decision.causes = causes;
  decision.actions = actions;
  EXPECT_EQ(DecisionRecord(decision),
            "{\"decision_id\":\"0123456789abcdef0123456789abcdef\","
            "\"time\":\"2026-11-27T08:30:00.000000Z\",\"input_digest\":\"feed\","
            "\"rule_base\":{\"id\":\"alignment.standard\",\"version\":\"1.0.0\","
            "\"digest\":\"ab12\"},"
            "\"causes\":[{\"id\":\"cause.c0\",\"certainty\":0.9},"
            "{\"id\":\"cause.c1\",\"certainty\":0.8},{\"id\":\"cause.c2\",\"certainty\":0.7}],"
            "\"actions\":[{\"id\":\"action.a\",\"certainty\":0.55}]}");
}

// The record from a consultation names what the diagnosis lists: the same rule base, and the
// same leading causes and actions with the certainties as the answer reports them.
TEST(DecisionLog, RecordFromAConsultationIsTheRecordOfItsDiagnosis) {
  inference::Engine engine(StandardRuleBase());
  std::vector<inference::DiagnoseOptions> option_sets(3);
  option_sets[1].max_causes = 2;
  option_sets[1].max_actions = 1;
  option_sets[2].include_explanations = false;
  option_sets[2].max_causes = 5;
  for (const char* example : {"overloaded-it.yaml", "idle-platform.yaml", "healthy.yaml",
                              "missed-market-shift.yaml"}) {
    for (size_t i = 0; i < option_sets.size(); ++i) {
      SCOPED_TRACE(absl::StrCat(example, ", options ", i));
      const proto::Assessment assessment = Example(example);
      absl::StatusOr<proto::Diagnosis> diagnosis = engine.Diagnose(assessment, option_sets[i]);
      ASSERT_TRUE(diagnosis.ok()) << diagnosis.status();
      absl::StatusOr<inference::Consultation> consultation = engine.Consult(assessment);
      ASSERT_TRUE(consultation.ok()) << consultation.status();

      std::vector<RecordedConclusion> causes, actions;
      for (const proto::Conclusion& cause : diagnosis->causes()) {
        causes.push_back({cause.id(), cause.certainty()});
      }
      for (const proto::Conclusion& action : diagnosis->actions()) {
        actions.push_back({action.id(), action.certainty()});
      }
      Decision expected;
      expected.decision_id = "0123456789abcdef0123456789abcdef";
      expected.input_digest = "feed";
      expected.time = absl::FromUnixMicros(1795768200123456);
      expected.rule_base_id = diagnosis->rule_base().id();
      expected.rule_base_version = diagnosis->rule_base().version();
      expected.rule_base_digest = diagnosis->rule_base().digest();
      expected.causes = causes;
      expected.actions = actions;
      EXPECT_EQ(DecisionRecord(*consultation, option_sets[i], expected.decision_id,
                               expected.input_digest, expected.time),
                DecisionRecord(expected));
    }
  }
}

// Pinned, independently of how the diagnosis is written: what the log says of overloaded-it.
TEST(DecisionLog, RecordOfOverloadedItNamesItsLeadingCausesAndActions) {
  inference::Engine engine(StandardRuleBase());
  absl::StatusOr<inference::Consultation> consultation =
      engine.Consult(Example("overloaded-it.yaml"));
  ASSERT_TRUE(consultation.ok()) << consultation.status();
  const std::string record =
      DecisionRecord(*consultation, inference::DiagnoseOptions(), "0123456789abcdef0123456789abcdef",
                     "feed", absl::FromUnixSeconds(1795768200));
  const size_t causes = record.find(",\"causes\":");
  ASSERT_NE(causes, std::string::npos) << record;
  // The same figures as tests/golden/diagnoses/overloaded-it.yaml.txt, to four places.
  EXPECT_EQ(record.substr(causes),
            ",\"causes\":[{\"id\":\"cause.overwork\",\"certainty\":0.9141},"
            "{\"id\":\"cause.provider_gap\",\"certainty\":0.3}],"
            "\"actions\":[{\"id\":\"action.demand_capacity_management\",\"certainty\":0.8623},"
            "{\"id\":\"action.problem_management\",\"certainty\":0.7313},"
            "{\"id\":\"action.staff_capacity_plan\",\"certainty\":0.7104}]}");
}

TEST(DecisionLog, InputDigestIgnoresMapOrder) {
  proto::Assessment a, b;
  (*a.mutable_observations())["x.one"].set_number(1);
  (*a.mutable_observations())["x.two"].set_flag(true);
  (*b.mutable_observations())["x.two"].set_flag(true);
  (*b.mutable_observations())["x.one"].set_number(1);
  EXPECT_EQ(AssessmentDigest(a), AssessmentDigest(b));
  EXPECT_THAT(AssessmentDigest(a), MatchesRegex("[0-9a-f]{64}"));
  (*b.mutable_observations())["x.one"].set_number(2);
  EXPECT_NE(AssessmentDigest(a), AssessmentDigest(b));
}

TEST(DecisionLog, IdsAreRandom128BitHex) {
  std::string a = NewDecisionId(), b = NewDecisionId();
  EXPECT_THAT(a, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(a, b);
}

TEST(DecisionLog, UnwritablePathIsAnError) {
  EXPECT_THAT(DecisionLog::Open("/nonexistent/dir/decisions.jsonl"),
              StatusIs(absl::StatusCode::kNotFound,
                       "/nonexistent/dir/decisions.jsonl: cannot open the decision log: "
                       "No such file or directory"));
}

// ---------------------------------------------------------------- flags

std::vector<std::string> Args(std::initializer_list<const char*> args) {
  return std::vector<std::string>(args.begin(), args.end());
}

TEST(ServerFlags, DefaultsAreSafe) {
  absl::StatusOr<ServerOptions> options = ParseFlags(Args({"--rules", "rules"}));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->rules_path, "rules");
  EXPECT_EQ(options->listen, "127.0.0.1:50051");
  EXPECT_FALSE(options->insecure);
  EXPECT_EQ(options->max_message_bytes, 4194304);
  EXPECT_EQ(options->max_deadline_ms, 10000);
  EXPECT_EQ(options->drain_seconds, 10);
  EXPECT_TRUE(ValidateOptions(*options).ok());
}

TEST(ServerFlags, BothSpellingsOfValues) {
  absl::StatusOr<ServerOptions> options = ParseFlags(
      Args({"--rules=r", "--listen", "0.0.0.0:0", "--insecure", "--max-message-bytes=1024",
            "--max-deadline-ms", "50", "--drain-seconds=0", "--decision-log", "d.jsonl",
            "--admin-token-file", "t", "--port-file=p"}));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->rules_path, "r");
  EXPECT_EQ(options->listen, "0.0.0.0:0");
  EXPECT_TRUE(options->insecure);
  EXPECT_EQ(options->max_message_bytes, 1024);
  EXPECT_EQ(options->max_deadline_ms, 50);
  EXPECT_EQ(options->drain_seconds, 0);
  EXPECT_EQ(options->decision_log, "d.jsonl");
  EXPECT_EQ(options->admin_token_file, "t");
  EXPECT_EQ(options->port_file, "p");
  EXPECT_TRUE(ValidateOptions(*options).ok());
}

TEST(ServerFlags, ParseErrorsNameTheFlag) {
  EXPECT_THAT(ParseFlags(Args({"--rules", "r", "--colour"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown flag '--colour'; run alignd --help"));
  EXPECT_THAT(ParseFlags(Args({"--rules"})),
              StatusIs(absl::StatusCode::kInvalidArgument, "--rules needs a value"));
  EXPECT_THAT(ParseFlags(Args({"--max-deadline-ms", "soon"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--max-deadline-ms: expected a whole number, got 'soon'"));
  EXPECT_THAT(ParseFlags(Args({"rules"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unexpected argument 'rules'; flags start with --"));
}

TEST(ServerFlags, NonLoopbackWithoutTlsIsRefused) {
  ServerOptions options;
  options.rules_path = "rules";
  options.listen = "0.0.0.0:50051";
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "refusing to listen on 0.0.0.0:50051 without TLS; pass "
                       "--tls-cert/--tls-key, or --insecure to accept plaintext"));
  options.insecure = true;
  EXPECT_TRUE(ValidateOptions(options).ok());
  options.insecure = false;
  options.tls_cert = "cert.pem";
  options.tls_key = "key.pem";
  EXPECT_TRUE(ValidateOptions(options).ok());
}

TEST(ServerFlags, CombinationErrors) {
  ServerOptions options;
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--rules DIR is required: the folder of *.rules files"));
  options.rules_path = "rules";
  options.client_ca = "ca.pem";
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--client-ca needs TLS: pass --tls-cert and --tls-key as well"));
  options.client_ca.clear();
  options.tls_cert = "cert.pem";
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--tls-cert and --tls-key go together: pass both"));
  options.tls_cert.clear();
  options.listen = "127.0.0.1";
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--listen: expected HOST:PORT with a port from 0 to 65535, got "
                       "'127.0.0.1'"));
  options.listen = "127.0.0.1:0";
  options.max_deadline_ms = 0;
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--max-deadline-ms: must be at least 1, got 0"));
  options.max_deadline_ms = 1;
  options.max_message_bytes = 0;
  EXPECT_THAT(ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--max-message-bytes: must be from 1 to 2147483647, got 0"));
}

TEST(ServerFlags, WhatCountsAsLoopback) {
  for (const char* local : {"127.0.0.1:50051", "127.1.2.3:1", "localhost:0", "LOCALHOST:1",
                            "[::1]:50051", "[::ffff:127.0.0.1]:5", "unix:/tmp/alignd.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(local)) << local;
  }
  for (const char* remote : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:1",
                             "example.com:443", "128.0.0.1:1", "[::ffff:10.0.0.1]:5"}) {
    EXPECT_FALSE(IsLoopbackAddress(remote)) << remote;
  }
}

// ---------------------------------------------------------------- the whole server

// grpc.health.v1.Health/Check by hand (no generated stubs for it here): request field 1 is the
// service name; the answer's field 1 is the status (1 = SERVING, 2 = NOT_SERVING).
std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& name) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::string bytes;
  if (!name.empty()) {
    bytes = absl::StrCat("\x0a", std::string(1, static_cast<char>(name.size())), name);
  }
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return absl::StrCat("error ", status.error_code());
  std::vector<grpc::Slice> slices;
  std::string out;
  (void)response.Dump(&slices);
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

TEST(AlignServer, StartsServingHealthyAndStops) {
  TempDir dir;
  WriteText(dir.path() / "token", kToken + "\n");
  ServerOptions options;
  options.rules_path = kRules;
  options.listen = "127.0.0.1:0";
  options.max_message_bytes = 64 << 10;
  options.admin_token_file = (dir.path() / "token").string();
  options.decision_log = (dir.path() / "decisions.jsonl").string();
  options.drain_seconds = 1;
  LogCapture log;
  absl::StatusOr<std::unique_ptr<AlignServer>> started = AlignServer::Start(options, log.sink());
  ASSERT_TRUE(started.ok()) << started.status();
  AlignServer& server = **started;
  EXPECT_GT(server.port(), 0);
  EXPECT_EQ(server.address(), absl::StrCat("127.0.0.1:", server.port()));

  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthCheck(channel, ""), "\x08\x01");
  EXPECT_EQ(HealthCheck(channel, "alignment.v1.AlignmentAdvisor"), "\x08\x01");

  auto stub = proto::AlignmentAdvisor::NewStub(channel);
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = Example("healthy.yaml");
  proto::Diagnosis diagnosis;
  ASSERT_THAT(stub->Diagnose(Context().get(), request, &diagnosis), GrpcOk());
  request.mutable_assessment()->set_description(std::string(65 << 10, 'x'));
  EXPECT_EQ(stub->Diagnose(Context().get(), request, &diagnosis).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  proto::ReloadRulesResponse reloaded;
  ASSERT_THAT(stub->ReloadRules(AdminContext("Bearer " + kToken).get(), {}, &reloaded),
              GrpcOk());

  EXPECT_TRUE(server.ReloadFromFolder().ok());
  EXPECT_TRUE(log.WaitFor(absl::StrCat("alignd: reloaded alignment.standard 1.0.0 (sha256 ",
                                       StandardRef().digest().substr(0, 12), ")"))
                  .has_value());
  EXPECT_THAT(ReadText(options.decision_log), StartsWith("{\"decision_id\":\""));

  server.Shutdown();
  proto::RuleBaseInfo info;
  EXPECT_EQ(stub->GetRuleBase(Context(absl::Seconds(2)).get(), {}, &info).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(AlignServer, RuleBaseWithErrorsStopsStartUp) {
  TempDir dir;
  WriteText(dir.path() / "a.rules", "rulebase x version \"1\"\nthis is not a rule\n");
  ServerOptions options;
  options.rules_path = dir.path().string();
  options.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<AlignServer>> started = AlignServer::Start(options);
  EXPECT_THAT(started, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr((dir.path() / "a.rules").string() + ":2:")));
}

TEST(AlignServer, UnreadableTlsFilesStopStartUp) {
  ServerOptions options;
  options.rules_path = kRules;
  options.listen = "127.0.0.1:0";
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  EXPECT_THAT(AlignServer::Start(options),
              StatusIs(absl::StatusCode::kNotFound,
                       "/nonexistent/cert.pem: cannot read the TLS certificate (--tls-cert): "
                       "No such file or directory"));
}

TEST(AlignServer, PortInUseIsUnavailable) {
  ServerOptions options;
  options.rules_path = kRules;
  options.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<AlignServer>> first = AlignServer::Start(options);
  ASSERT_TRUE(first.ok()) << first.status();
  options.listen = (*first)->address();
  EXPECT_THAT(AlignServer::Start(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith("cannot listen on " + options.listen + ": ")));
}

}  // namespace
}  // namespace align::service
