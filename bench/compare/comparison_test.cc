#include "bench/compare/comparison.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/util/proto_alias.h"

namespace align::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ElementsAre;
using ::testing::Not;

int Occurrences(const std::string& text, const std::string& part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST(CompareOnWorkload, EveryVariantOfOursAgreesWithClipsAndIsMeasured) {
  ComparisonOptions options;
  options.rounds = 2;
  options.compile_runs = 1;
  options.default_options_rounds = 0;
  absl::StatusOr<SizeResult> result = CompareOnWorkload(
      {.rules = 60, .observations_per_case = 20, .cases = 5, .seed = 42}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(FormatDisagreements(*result), IsEmpty());
  // The seeded workload is the same everywhere, so its counts are exact: 11 findings and 11
  // fired rules (1 of them chained) over the 5 cases, 201 rules touched.
  EXPECT_DOUBLE_EQ(result->findings_per_case, 2.2);
  EXPECT_DOUBLE_EQ(result->clips_fired_per_case, 2.2);
  EXPECT_DOUBLE_EQ(result->ours_fired_per_case, 2.2);
  EXPECT_DOUBLE_EQ(result->chained_fired_per_case, 0.2);
  EXPECT_DOUBLE_EQ(result->touched_per_case, 40.2);
  EXPECT_GT(result->clips.p50, 0);
  for (OursVariant variant : kAllOursVariants) {
    EXPECT_GT(result->Ours(variant).p50, 0) << OursVariantName(variant);
  }
  EXPECT_EQ(result->ours_default_options.p50, 0);
  // The cause layer, measured by default: 3 causes at this size.
  EXPECT_EQ(result->causes, 3);
  EXPECT_DOUBLE_EQ(result->questions_per_case, 1);  // 5 over the 5 cases
  EXPECT_GT(result->ours_with_causes.p50, 0);
  EXPECT_GT(result->explain_ns_per_finding, 0);
  EXPECT_GT(result->arena_peak_bytes, 0);
}

// The tables of one empty result at 60 rules, with or without the default-options lines.
std::string MarkdownOf60Rules(int default_options_rounds) {
  SizeResult result;
  result.spec.rules = 60;
  result.causes = 3;
  ComparisonOptions options;
  options.default_options_rounds = default_options_rounds;
  options.causes_rounds = default_options_rounds;
  return FormatMarkdown({result}, options);
}

TEST(FormatMarkdown, HasARowAndANoteForEveryVariant) {
  const std::string markdown = MarkdownOf60Rules(0);
  for (OursVariant variant : kAllOursVariants) {
    const std::string name(OursVariantName(variant));
    EXPECT_EQ(Occurrences(markdown, "| 60 | " + name + " |"), 1) << name;
    EXPECT_EQ(Occurrences(markdown, "- *" + name + "*: "), 1) << name;
  }
  EXPECT_THAT(markdown, Not(HasSubstr("default options")));

  EXPECT_THAT(MarkdownOf60Rules(1), HasSubstr("| 60 | ours, default options |"));
  EXPECT_THAT(MarkdownOf60Rules(1), HasSubstr("| 60 | ours, default options, with causes |"));
  EXPECT_THAT(MarkdownOf60Rules(1), HasSubstr("(CauseLayerFile; 3 at 60 rules)"));
}

TEST(FormatMarkdown, ListsCLIPSThenOursWithTheWireVariantFirst) {
  const std::string markdown = MarkdownOf60Rules(1);
  std::vector<size_t> rows = {markdown.find("| 60 | CLIPS |")};
  for (OursVariant variant : kAllOursVariants) {
    rows.push_back(markdown.find("| 60 | " + std::string(OursVariantName(variant)) + " |"));
  }
  rows.push_back(markdown.find("| 60 | ours, default options |"));
  rows.push_back(markdown.find("| 60 | ours, default options, with causes |"));
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_NE(rows[i], std::string::npos) << i;
    if (i > 0) {
      EXPECT_LT(rows[i - 1], rows[i]) << i;
    }
  }
  EXPECT_EQ(kAllOursVariants[0], OursVariant::kHowAsWire);
  EXPECT_EQ(OursVariantName(kAllOursVariants[0]), "ours, HOW written (wire)");
}

TEST(FindingIdsFromWire, ReadsEveryFindingIdInOrderAndNothingElse) {
  proto::Diagnosis diagnosis;
  diagnosis.set_organisation("Acme");
  diagnosis.add_patterns()->set_id("pattern.p1");
  proto::Conclusion* first = diagnosis.add_findings();
  first->set_id("finding.f3");
  first->set_certainty(1);
  first->mutable_explanation()->set_node_id("finding.f3");
  diagnosis.add_findings();  // no id: read as empty, as a parser would
  diagnosis.add_open_questions()->set_indicator("indicator.i1");
  diagnosis.set_decision_id("d-1");
  // A finding whose id comes after its other fields: the two parts, serialised one after the
  // other, are one message on the wire.
  proto::Conclusion title_part, id_part;
  title_part.set_title("Last");
  id_part.set_id("finding.f1");
  const std::string last = title_part.SerializeAsString() + id_part.SerializeAsString();
  ASSERT_LT(last.size(), 128u);
  const std::string wire = diagnosis.SerializeAsString() + "\x42" +
                           std::string(1, static_cast<char>(last.size())) + last;
  proto::Diagnosis parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  ASSERT_EQ(parsed.findings_size(), 3);
  EXPECT_EQ(parsed.findings(2).id(), "finding.f1");

  std::vector<std::string> ids = {"left over"};
  ASSERT_TRUE(FindingIdsFromWire(wire, &ids).ok());
  EXPECT_THAT(ids, ElementsAre("finding.f3", "", "finding.f1"));

  ASSERT_TRUE(FindingIdsFromWire("", &ids).ok());
  EXPECT_THAT(ids, IsEmpty());
}

TEST(FindingIdsFromWire, MalformedBytesAreDataLoss) {
  proto::Diagnosis diagnosis;
  diagnosis.add_findings()->set_id("finding.f1");
  const std::string wire = diagnosis.SerializeAsString();
  std::vector<std::string> ids;
  EXPECT_EQ(FindingIdsFromWire(wire.substr(0, wire.size() - 1), &ids).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(FindingIdsFromWire(std::string("\0", 1), &ids).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(FindingIdsFromWire("\x43", &ids).code(), absl::StatusCode::kDataLoss);  // a group
}

TEST(FormatDisagreements, NamesTheVariantTheDifferingAndTheUnexplainedFindings) {
  SizeResult result;
  result.spec.rules = 60;
  Disagreement differing;
  differing.case_index = 1;
  differing.variant = OursVariant::kHowOnArena;
  differing.only_ours = {"finding.f1"};
  Disagreement unexplained;
  unexplained.case_index = 3;
  unexplained.variant = OursVariant::kHowOnDemand;
  unexplained.unexplained = {"finding.f2", "finding.f7"};
  result.disagreements = {differing, unexplained};
  EXPECT_EQ(FormatDisagreements(result),
            "60 rules, case 1, ours, HOW written (arena): only ours [finding.f1], only CLIPS []\n"
            "60 rules, case 3, ours, HOW kept, rendered on demand: HOW shows no fired rule "
            "concluding [finding.f2, finding.f7]\n");
}

}  // namespace
}  // namespace align::bench
