// Every byte of the answers the engine writes, pinned: the SHA-256 of each serialised Diagnosis
// and Explanation for the bundled examples and 200 seeded random assessments, with HOW trees,
// WHY-NOT trees of every node not concluded, would-fire rules and open questions. Any change in
// a number, a word or a field shows up here, however the answer is built.
//
// To record new digests after a deliberate change: ALIGN_UPDATE_GOLDEN=1 ctest -R AnswerDigests
// then say in the commit why the answers changed. tests/examples_golden_test.cc shows the
// readable side of the same answers.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "inference/engine.h"
#include "inference/eval/certainty.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/loader.h"
#include "inference/util/digest.h"
#include "tests/random_assessments.h"

namespace align::inference {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = ALIGN_SOURCE_DIR;
const fs::path kGolden = kSource / "tests/golden/answer_digests.txt";

std::shared_ptr<const RuleBase> StandardRules() {
  static const auto* rules = new std::shared_ptr<const RuleBase>(*LoadRuleBase(kSource / "rules"));
  return *rules;
}

// Every node that is not concluded, as WHY-NOT asks: the widest answer a diagnosis can give.
std::vector<std::string> NotConcluded(const Engine& engine, const proto::Assessment& assessment) {
  auto consultation = engine.Consult(assessment);
  EXPECT_TRUE(consultation.ok()) << consultation.status();
  std::vector<std::string> ids;
  const RuleBase& rules = engine.rule_base();
  for (size_t node = 0; node < rules.nodes().size(); ++node) {
    if (rules.node(static_cast<int>(node)).kind == NodeKind::kIndicator) continue;
    if (consultation->certainty(static_cast<int>(node)) > kFiringThreshold) continue;
    ids.push_back(rules.node(static_cast<int>(node)).id);
  }
  return ids;
}

std::string DigestOf(const google::protobuf::Message& message) {
  return Sha256Hex(message.SerializeAsString());
}

void AddDiagnoses(const Engine& engine, const proto::Assessment& assessment,
                  const std::string& label, std::map<std::string, std::string>& digests) {
  DiagnoseOptions widest;
  widest.why_not = NotConcluded(engine, assessment);
  widest.max_would_fire = -1;
  DiagnoseOptions lean;
  lean.include_explanations = false;
  lean.max_patterns = 1;
  lean.max_causes = 2;
  lean.max_actions = 1;
  lean.max_questions = 1;
  lean.max_would_fire = 3;
  const std::pair<const char*, const DiagnoseOptions*> variants[] = {{"widest", &widest},
                                                                     {"lean", &lean}};
  for (const auto& [name, options] : variants) {
    auto diagnosis = engine.Diagnose(assessment, *options);
    ASSERT_TRUE(diagnosis.ok()) << label << ": " << diagnosis.status();
    digests[label + " diagnosis " + name] = DigestOf(*diagnosis);
    // The wire writer's bytes are the serialiser's, in canonical form (alignd has the engine
    // write its decision id among them, as field 12). The digests above pin their content.
    std::string wire;
    ASSERT_TRUE(engine.DiagnoseToWire(assessment, *options, &wire).ok()) << label;
    EXPECT_EQ(wire, diagnosis->SerializeAsString()) << label << " " << name;
  }
}

std::map<std::string, std::string> ComputeDigests() {
  std::map<std::string, std::string> digests;
  std::shared_ptr<const RuleBase> rules = StandardRules();
  Engine engine(rules);
  int examples = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "examples/assessments")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".json") continue;
    auto assessment = ReadAssessmentFile(entry.path(), &rules->schema());
    EXPECT_TRUE(assessment.ok()) << assessment.status();
    if (!assessment.ok()) continue;
    const std::string label = entry.path().filename().string();
    AddDiagnoses(engine, *assessment, label, digests);
    for (const NodeInfo& node : rules->nodes()) {
      auto explanation = engine.Explain(*assessment, node.id);
      EXPECT_TRUE(explanation.ok()) << explanation.status();
      if (explanation.ok()) digests[label + " explain " + node.id] = DigestOf(*explanation);
    }
    ++examples;
  }
  EXPECT_EQ(examples, 7);
  RandomAssessments random(*rules, 20261128);
  for (int round = 0; round < 200; ++round) {
    AddDiagnoses(engine, random.Next(), "random " + std::to_string(round), digests);
  }
  return digests;
}

TEST(AnswerDigests, MatchTheRecordedAnswers) {
  const std::map<std::string, std::string> digests = ComputeDigests();
  ASSERT_FALSE(testing::Test::HasFailure());
  if (std::getenv("ALIGN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream out(kGolden);
    for (const auto& [label, digest] : digests) out << digest << "  " << label << "\n";
    ASSERT_TRUE(out.good()) << "cannot write " << kGolden;
    GTEST_SKIP() << "recorded " << digests.size() << " digests in " << kGolden;
  }
  std::ifstream in(kGolden);
  ASSERT_TRUE(in.good()) << "cannot read " << kGolden;
  std::map<std::string, std::string> recorded;
  for (std::string line; std::getline(in, line);) {
    const size_t gap = line.find("  ");
    ASSERT_NE(gap, std::string::npos) << "malformed line in " << kGolden << ": " << line;
    recorded[line.substr(gap + 2)] = line.substr(0, gap);
  }
  EXPECT_EQ(recorded.size(), digests.size());
  int differing = 0;
  for (const auto& [label, digest] : digests) {
    auto it = recorded.find(label);
    if (it == recorded.end()) {
      ADD_FAILURE() << "no recorded digest for " << label;
    } else if (it->second != digest) {
      if (++differing <= 10) ADD_FAILURE() << "the answer changed: " << label;
    }
  }
  EXPECT_EQ(differing, 0) << "answers that changed (the first 10 are named above)";
}

}  // namespace
}  // namespace align::inference
