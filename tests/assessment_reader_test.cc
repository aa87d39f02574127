#include "inference/io/assessment_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace align::inference {
namespace {

using ::align::testing::StatusIs;
using ::testing::Eq;
using ::testing::StartsWith;

proto::Assessment FromText(const std::string& text_proto) {
  proto::Assessment assessment;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &assessment));
  return assessment;
}

void ExpectProtoEq(const proto::Assessment& actual, const proto::Assessment& expected) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(actual, expected))
      << "actual:\n"
      << actual.DebugString() << "expected:\n"
      << expected.DebugString();
}

IndicatorSchema NumberSchema(std::optional<double> min, std::optional<double> max,
                             std::string unit = "") {
  IndicatorSchema schema;
  schema.type = IndicatorSchema::Type::kNumber;
  schema.min = min;
  schema.max = max;
  schema.unit = std::move(unit);
  return schema;
}

IndicatorSchema BoolSchema() {
  IndicatorSchema schema;
  schema.type = IndicatorSchema::Type::kBool;
  return schema;
}

IndicatorSchema ChoiceSchema(std::vector<std::string> choices) {
  IndicatorSchema schema;
  schema.type = IndicatorSchema::Type::kChoice;
  schema.choices = std::move(choices);
  return schema;
}

ObservationSchema TestSchema() {
  ObservationSchema schema;
  schema["capacity.utilisation"] = NumberSchema(0, 100, "%");
  schema["staff.utilisation"] = NumberSchema(0, 100, "%");
  schema["backlog.age_days"] = NumberSchema(0, std::nullopt);
  schema["it.in_strategy"] = BoolSchema();
  schema["trend.direction"] = ChoiceSchema({"improving", "flat", "worsening"});
  return schema;
}

// --- Valid input -----------------------------------------------------------------------------

TEST(AssessmentReader, ParsesYamlIntoEveryField) {
  constexpr char kText[] = R"yaml(organisation: Acme Insurance
date: 2026-11-27
description: Annual review
service_areas:
  - name: Customer analytics
    weight: 2.5
    strategic_intent: true
    market_space: true
    demand: high
    opportunity: true
    capability: {level: medium, utilisation: 70}
    note: new in 2026
  - name: Mainframe hosting
    demand: NONE
    capability:
      level: LEVEL_HIGH
observations:
  capacity.utilisation: 92
  it.in_strategy: false
  trend.direction: worsening
  staff.utilisation: {value: 88, confidence: 0.7, source: HR timesheets}
  backlog.age_days: {number: 41}
)yaml";
  const ObservationSchema schema = TestSchema();
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(kText, "a.yaml", &schema);
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  ExpectProtoEq(*assessment, FromText(R"pb(
    organisation: "Acme Insurance"
    date: "2026-11-27"
    description: "Annual review"
    service_areas {
      name: "Customer analytics"
      weight: 2.5
      strategic_intent: true
      market_space: true
      demand: LEVEL_HIGH
      opportunity: true
      capability { level: LEVEL_MEDIUM utilisation: 70 }
      note: "new in 2026"
    }
    service_areas {
      name: "Mainframe hosting"
      demand: LEVEL_NONE
      capability { level: LEVEL_HIGH }
    }
    observations {
      key: "capacity.utilisation"
      value { number: 92 }
    }
    observations {
      key: "it.in_strategy"
      value { flag: false }
    }
    observations {
      key: "trend.direction"
      value { choice: "worsening" }
    }
    observations {
      key: "staff.utilisation"
      value { number: 88 confidence: 0.7 source: "HR timesheets" }
    }
    observations {
      key: "backlog.age_days"
      value { number: 41 }
    }
  )pb"));
  // Absent optional fields stay absent rather than defaulting.
  EXPECT_FALSE(assessment->service_areas(1).has_weight());
  EXPECT_FALSE(assessment->service_areas(1).capability().has_utilisation());
}

constexpr char kExpectedJsonAssessment[] = R"pb(
  organisation: "Acme"
  service_areas {
    name: "Analytics"
    weight: 3
    strategic_intent: true
    market_space: true
    demand: LEVEL_LOW
    opportunity: true
    capability { level: LEVEL_HIGH utilisation: 55.5 }
  }
  observations {
    key: "it.in_strategy"
    value { flag: true confidence: 0.5 }
  }
)pb";

TEST(AssessmentReader, ParsesJsonWithCamelCaseNames) {
  constexpr char kText[] = R"json({
  "organisation": "Acme",
  "serviceAreas": [
    {"name": "Analytics", "weight": 3, "strategicIntent": true, "marketSpace": true,
     "demand": "LEVEL_LOW", "opportunity": true,
     "capability": {"level": "LEVEL_HIGH", "utilisation": 55.5}}
  ],
  "observations": {"it.in_strategy": {"flag": true, "confidence": 0.5}}
})json";
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(kText, "a.json");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  ExpectProtoEq(*assessment, FromText(kExpectedJsonAssessment));
}

TEST(AssessmentReader, ParsesJsonWithProtoNames) {
  constexpr char kText[] = R"json({
	"organisation": "Acme",
	"service_areas": [{
		"name": "Analytics", "weight": 3, "strategic_intent": true, "market_space": true,
		"demand": "low", "opportunity": true,
		"capability": {"level": "high", "utilisation": 55.5}
	}],
	"observations": {"it.in_strategy": {"value": true, "confidence": 0.5}}
})json";
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(kText, "a.json");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  ExpectProtoEq(*assessment, FromText(kExpectedJsonAssessment));
}

TEST(AssessmentReader, LevelsAreCaseInsensitiveWithOrWithoutPrefix) {
  constexpr char kText[] = R"yaml(service_areas:
  - {name: a, demand: None, capability: {level: LOW}}
  - {name: b, demand: Level_Medium, capability: {level: level_high}}
)yaml";
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(kText, "a.yaml");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_EQ(assessment->service_areas(0).demand(), proto::LEVEL_NONE);
  EXPECT_EQ(assessment->service_areas(0).capability().level(), proto::LEVEL_LOW);
  EXPECT_EQ(assessment->service_areas(1).demand(), proto::LEVEL_MEDIUM);
  EXPECT_EQ(assessment->service_areas(1).capability().level(), proto::LEVEL_HIGH);
}

TEST(AssessmentReader, ObservationShorthandTakesItsTypeFromTheScalar) {
  constexpr char kText[] = R"yaml(observations:
  a: 92
  b: -1.5e2
  c: true
  d: improving
  e: "92"
  f: 'true'
)yaml";
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(kText, "a.yaml");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  const auto& observations = assessment->observations();
  EXPECT_EQ(observations.at("a").number(), 92);
  EXPECT_EQ(observations.at("b").number(), -150);
  EXPECT_EQ(observations.at("c").value_case(), proto::Observation::kFlag);
  EXPECT_TRUE(observations.at("c").flag());
  EXPECT_EQ(observations.at("d").choice(), "improving");
  // Quoted scalars are text, never numbers or booleans.
  EXPECT_EQ(observations.at("e").choice(), "92");
  EXPECT_EQ(observations.at("f").choice(), "true");
}

TEST(AssessmentReader, WithoutSchemaAnyIndicatorIsAccepted) {
  absl::StatusOr<proto::Assessment> assessment =
      ParseAssessment("observations: {made.up: 3}\n", "a.yaml");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_EQ(assessment->observations().at("made.up").number(), 3);
}

TEST(AssessmentReader, EmptyMapIsAnEmptyAssessment) {
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment("{}", "a.json");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  ExpectProtoEq(*assessment, proto::Assessment());
}

TEST(AssessmentReader, EmptySectionsReadAsEmpty) {
  absl::StatusOr<proto::Assessment> assessment =
      ParseAssessment("organisation: Acme\nservice_areas:\nobservations:\n", "a.yaml");
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  ExpectProtoEq(*assessment, FromText(R"pb(organisation: "Acme")pb"));
}

// --- Malformed text --------------------------------------------------------------------------

TEST(AssessmentReader, MalformedYamlReportsParserMessageWithPosition) {
  EXPECT_THAT(ParseAssessment("organisation: Acme\n  date: 2026-01-01\n", "bad.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("bad.yaml:2:7: illegal map value")));
}

TEST(AssessmentReader, MalformedJsonReportsParserMessageWithPosition) {
  EXPECT_THAT(
      ParseAssessment("{\"organisation\": \"Acme\",\n \"serviceAreas\": [1, 2}\n", "bad.json"),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("bad.json:2:23: illegal flow end")));
}

TEST(AssessmentReader, EmptyDocumentIsAnError) {
  EXPECT_THAT(ParseAssessment("", "empty.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("empty.yaml: empty assessment")));
  EXPECT_THAT(ParseAssessment("# nothing yet\n", "empty.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("empty.yaml: empty assessment")));
  EXPECT_THAT(ParseAssessment("~\n", "empty.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("empty.yaml: empty assessment")));
}

TEST(AssessmentReader, TopLevelMustBeAMap) {
  EXPECT_THAT(ParseAssessment("- a\n- b\n", "list.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("list.yaml:1:1: expected a map of assessment fields, got a list")));
  EXPECT_THAT(ParseAssessment("hello", "word.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("word.yaml:1:1: expected a map of assessment fields, got \"hello\"")));
}

TEST(AssessmentReader, SecondDocumentIsAnError) {
  EXPECT_THAT(
      ParseAssessment("organisation: A\n---\norganisation: B\n", "two.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("two.yaml:3:1: expected a single assessment document, got a second one")));
  absl::StatusOr<proto::Assessment> trailing =
      ParseAssessment("organisation: A\n---\n", "trailing.yaml");
  ASSERT_TRUE(trailing.ok()) << trailing.status();
  EXPECT_EQ(trailing->organisation(), "A");
}

TEST(AssessmentReader, StrayCommaIsMalformedNotAHang) {
  // yaml-cpp 0.7's LoadAll never returns on these.
  EXPECT_THAT(ParseAssessment(",", "comma.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("comma.yaml:1:1: unexpected \",\"")));
  EXPECT_THAT(ParseAssessment("[1],", "comma.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("comma.yaml:1:4: unexpected \",\"")));
}

TEST(AssessmentReader, DeepNestingIsRejectedWithoutCrashing) {
  const std::string text =
      absl::StrCat("organisation: ", std::string(5000, '['), std::string(5000, ']'), "\n");
  EXPECT_THAT(
      ParseAssessment(text, "deep.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("deep.yaml:1:10015: nested too deeply")));
}

// --- Structural problems ---------------------------------------------------------------------

TEST(AssessmentReader, UtilisationGivenAsWordNamesFieldPath) {
  constexpr char kText[] = R"yaml(service_areas:
  - name: Analytics
    capability: {level: high, utilisation: 80}
  - name: Hosting
  - name: Print
    capability:
      level: low
      utilisation: "high"
)yaml";
  EXPECT_THAT(ParseAssessment(kText, "acme.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("acme.yaml:8:20: service_areas[2].capability.utilisation: expected a "
                          "number in [0, 100], got \"high\"")));
}

TEST(AssessmentReader, UnquotedWordForUtilisationIsShownQuoted) {
  EXPECT_THAT(
      ParseAssessment("serviceAreas: [{name: a, capability: {utilisation: high}}]", "a.json"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("a.json:1:52: serviceAreas[0].capability.utilisation: expected a number in "
                  "[0, 100], got \"high\"")));
}

TEST(AssessmentReader, UtilisationOutsidePercentRange) {
  EXPECT_THAT(
      ParseAssessment("service_areas: [{name: a, capability: {utilisation: 120}}]", "a.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("a.yaml:1:53: service_areas[0].capability.utilisation: expected a number in "
                  "[0, 100], got 120")));
}

TEST(AssessmentReader, WrongTypesNameWhatWasExpected) {
  constexpr char kText[] = R"yaml(organisation: [Acme]
service_areas:
  - name: Analytics
    weight: heavy
    strategic_intent: yes
    market_space: "true"
    demand: hgih
    opportunity: 1
    capability: high
  - just a name
observations: [1, 2]
)yaml";
  EXPECT_THAT(
      ParseAssessment(kText, "types.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("types.yaml:1:15: organisation: expected a string, got a list\n"
                  "types.yaml:4:13: service_areas[0].weight: expected a positive number, got "
                  "\"heavy\"\n"
                  "types.yaml:5:23: service_areas[0].strategic_intent: expected true or false, "
                  "got \"yes\"\n"
                  "types.yaml:6:19: service_areas[0].market_space: expected true or false, got "
                  "\"true\"\n"
                  "types.yaml:7:13: service_areas[0].demand: expected one of none, low, medium, "
                  "high, got \"hgih\"\n"
                  "types.yaml:8:18: service_areas[0].opportunity: expected true or false, got 1\n"
                  "types.yaml:9:17: service_areas[0].capability: expected a map with level and "
                  "utilisation, got \"high\"\n"
                  "types.yaml:10:5: service_areas[1]: expected a map of service area fields, got "
                  "\"just a name\"\n"
                  "types.yaml:11:15: observations: expected a map from indicator id to value, got "
                  "a list")));
}

TEST(AssessmentReader, ServiceAreasMustBeAList) {
  EXPECT_THAT(ParseAssessment("service_areas: {name: a}\n", "a.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("a.yaml:1:16: service_areas: expected a list of service areas, got a "
                          "map")));
}

TEST(AssessmentReader, WeightMustBePositive) {
  EXPECT_THAT(
      ParseAssessment("service_areas:\n  - {name: a, weight: 0}\n  - {name: b, weight: -2}\n"
                      "  - {name: c, weight: .inf}\n",
                      "w.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("w.yaml:2:23: service_areas[0].weight: expected a positive number, got 0\n"
                  "w.yaml:3:23: service_areas[1].weight: expected a positive number, got "
                  "-2\n"
                  "w.yaml:4:23: service_areas[2].weight: expected a positive number, got "
                  "\".inf\"")));
}

TEST(AssessmentReader, AreaNamesMustBePresentNonEmptyAndUnique) {
  constexpr char kText[] = R"yaml(service_areas:
  - name: Hosting
  - name: "  "
  - weight: 2
  - name: Hosting
)yaml";
  EXPECT_THAT(ParseAssessment(kText, "names.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("names.yaml:3:11: service_areas[1].name: expected a non-empty name, got "
                          "\"  \"\n"
                          "names.yaml:4:5: service_areas[2].name: expected a non-empty name, got "
                          "nothing\n"
                          "names.yaml:5:11: service_areas[3].name: expected a unique name, got "
                          "\"Hosting\" again (first at service_areas[0])")));
}

TEST(AssessmentReader, DateMustBeCalendarDate) {
  EXPECT_THAT(ParseAssessment("date: 27/11/2026\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("d.yaml:1:7: date: expected a calendar date as YYYY-MM-DD, got "
                          "\"27/11/2026\"")));
  EXPECT_THAT(ParseAssessment("date: 2026-02-29\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("d.yaml:1:7: date: expected a calendar date as YYYY-MM-DD, got "
                          "\"2026-02-29\"")));
  EXPECT_TRUE(ParseAssessment("date: 2028-02-29\n", "d.yaml").ok());
}

TEST(AssessmentReader, EmptyValueIsReportedAtItsKey) {
  EXPECT_THAT(ParseAssessment("organisation:\ndate: 2026-01-01\n", "e.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("e.yaml:1:1: organisation: expected a string, got null")));
}

TEST(AssessmentReader, UnknownFieldSuggestsClosestName) {
  constexpr char kText[] = R"yaml(organisaton: Acme
service_areas:
  - name: a
    wieght: 2
    capability: {level: low, utilization: 5}
    colour: red
)yaml";
  EXPECT_THAT(
      ParseAssessment(kText, "u.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("u.yaml:1:1: organisaton: unknown field; did you mean 'organisation'?\n"
                  "u.yaml:4:5: service_areas[0].wieght: unknown field; did you mean 'weight'?\n"
                  "u.yaml:5:30: service_areas[0].capability.utilization: unknown field; did you "
                  "mean 'utilisation'?\n"
                  "u.yaml:6:5: service_areas[0].colour: unknown field; known fields are name, "
                  "weight, strategic_intent, market_space, demand, opportunity, capability, "
                  "note")));
}

TEST(AssessmentReader, UnknownCamelCaseFieldSuggestsBothSpellings) {
  EXPECT_THAT(ParseAssessment("{\"serviceArea\": []}", "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("c.json:1:2: serviceArea: unknown field; did you mean 'serviceAreas' "
                          "or 'service_areas'?")));
}

TEST(AssessmentReader, FieldGivenTwiceIsAnError) {
  EXPECT_THAT(ParseAssessment("service_areas: []\norganisation: A\nserviceAreas: []\n"
                              "organisation: B\n",
                              "twice.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("twice.yaml:3:1: serviceAreas: given twice, first as service_areas at "
                          "line 1\n"
                          "twice.yaml:4:1: organisation: given twice, first at line 2")));
}

TEST(AssessmentReader, InvalidUtf8IsRejected) {
  EXPECT_THAT(ParseAssessment("organisation: \"Acme \xff\"\n", "bytes.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("bytes.yaml:1:15: organisation: expected UTF-8 text, got "
                          "\"Acme \\377\"")));
}

TEST(AssessmentReader, LongValuesAreShortenedInMessages) {
  const std::string text = absl::StrCat("date: ", std::string(60, 'x'), "\n");
  EXPECT_THAT(ParseAssessment(text, "long.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(absl::StrCat("long.yaml:1:7: date: expected a calendar date as "
                                       "YYYY-MM-DD, got \"",
                                       std::string(40, 'x'), "…\""))));
}

// --- Observations against the schema ---------------------------------------------------------

TEST(AssessmentReader, UndeclaredIndicatorSuggestsDeclaredOne) {
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(ParseAssessment("observations:\n  capacity.utilisaton: 92\n", "o.yaml", &schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("o.yaml:2:3: observations[\"capacity.utilisaton\"]: undeclared "
                          "indicator; did you mean 'capacity.utilisation'?")));
  EXPECT_THAT(ParseAssessment("observations:\n  weather: sunny\n", "o.yaml", &schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("o.yaml:2:3: observations[\"weather\"]: undeclared indicator")));
}

TEST(AssessmentReader, BuiltInIndicatorCannotBeObserved) {
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(
      ParseAssessment("observations:\n  portfolio.alignment_index: 80\n", "o.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("o.yaml:2:3: observations[\"portfolio.alignment_index\"]: built-in indicator "
                  "computed from service_areas; it cannot be observed")));
}

TEST(AssessmentReader, ObservationOfWrongType) {
  constexpr char kText[] = R"yaml(observations:
  capacity.utilisation: high
  it.in_strategy: yes
  trend.direction: 3
  staff.utilisation: "92"
  backlog.age_days: {flag: true}
)yaml";
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(
      ParseAssessment(kText, "t.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("t.yaml:2:25: observations[\"capacity.utilisation\"]: expected a number in "
                  "[0, 100] %, got \"high\"\n"
                  "t.yaml:3:19: observations[\"it.in_strategy\"]: expected true or false, got "
                  "\"yes\"\n"
                  "t.yaml:4:20: observations[\"trend.direction\"]: expected one of improving, "
                  "flat, worsening, got 3\n"
                  "t.yaml:5:22: observations[\"staff.utilisation\"]: expected a number in "
                  "[0, 100] %, got \"92\"\n"
                  "t.yaml:6:28: observations[\"backlog.age_days\"].flag: expected a number >= 0, "
                  "got true")));
}

TEST(AssessmentReader, ChoiceNotAmongDeclaredValues) {
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(ParseAssessment("observations:\n  trend.direction: sideways\n", "c.yaml", &schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("c.yaml:2:20: observations[\"trend.direction\"]: expected one of "
                          "improving, flat, worsening, got \"sideways\"")));
  EXPECT_THAT(
      ParseAssessment("observations:\n  trend.direction: {choice: Improving}\n", "c.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("c.yaml:2:29: observations[\"trend.direction\"].choice: expected one of "
                  "improving, flat, worsening, got \"Improving\"; did you mean 'improving'?")));
}

TEST(AssessmentReader, NumberOutsideDeclaredRange) {
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(
      ParseAssessment("observations:\n  capacity.utilisation: 120\n  backlog.age_days: -3\n",
                      "r.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("r.yaml:2:25: observations[\"capacity.utilisation\"]: expected a number in "
                  "[0, 100] %, got 120\n"
                  "r.yaml:3:21: observations[\"backlog.age_days\"]: expected a number >= 0, got "
                  "-3")));
}

TEST(AssessmentReader, RangeBoundsAreInclusive) {
  const ObservationSchema schema = TestSchema();
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(
      "observations: {capacity.utilisation: 100, staff.utilisation: 0}", "r.yaml", &schema);
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_EQ(assessment->observations().at("capacity.utilisation").number(), 100);
}

TEST(AssessmentReader, ConfidenceMustBeInUnitInterval) {
  constexpr char kText[] = R"yaml(observations:
  capacity.utilisation: {value: 50, confidence: 0}
  staff.utilisation: {value: 50, confidence: 1.5}
  it.in_strategy: {value: true, confidence: sure}
  backlog.age_days: {value: 3, confidence: 1}
)yaml";
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(
      ParseAssessment(kText, "c.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("c.yaml:2:49: observations[\"capacity.utilisation\"].confidence: expected a "
                  "number in (0, 1], got 0\n"
                  "c.yaml:3:46: observations[\"staff.utilisation\"].confidence: expected a "
                  "number in (0, 1], got 1.5\n"
                  "c.yaml:4:45: observations[\"it.in_strategy\"].confidence: expected a number "
                  "in (0, 1], got \"sure\"")));
}

TEST(AssessmentReader, ObservationNeedsExactlyOneValue) {
  constexpr char kText[] = R"yaml(observations:
  a: {confidence: 0.5}
  b: {number: 1, flag: true}
  c:
  d: [1, 2]
  e: {vaule: 3}
)yaml";
  EXPECT_THAT(
      ParseAssessment(kText, "v.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("v.yaml:2:6: observations[\"a\"]: expected one of value, number, flag or "
                  "choice, got none\n"
                  "v.yaml:3:24: observations[\"b\"].flag: expected exactly one of value, number, "
                  "flag or choice, got number and flag\n"
                  "v.yaml:4:3: observations[\"c\"]: expected a number, true, false, a choice or "
                  "a map, got null\n"
                  "v.yaml:5:6: observations[\"d\"]: expected a number, true, false, a choice or "
                  "a map, got a list\n"
                  "v.yaml:6:6: observations[\"e\"]: expected one of value, number, flag or "
                  "choice, got none\n"
                  "v.yaml:6:7: observations[\"e\"].vaule: unknown field; did you mean "
                  "'value'?")));
}

TEST(AssessmentReader, IndicatorGivenTwiceIsAnError) {
  EXPECT_THAT(ParseAssessment("observations:\n  a: 1\n  a: 2\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("d.yaml:3:3: observations[\"a\"]: given twice, first at line 2")));
}

// --- Collecting ------------------------------------------------------------------------------

TEST(AssessmentReader, CollectsEveryProblemInOneMessageSortedByPosition) {
  constexpr char kText[] = R"yaml(date: tomorrow
service_areas:
  - name: Analytics
    demand: very high
  - name: Analytics
    capability: {level: medium, utilisation: 101}
observations:
  trend.direction: sideways
  it.in_strategy: {value: true, confidence: 2}
  staff.utilisaton: 50
)yaml";
  const ObservationSchema schema = TestSchema();
  EXPECT_THAT(
      ParseAssessment(kText, "all.yaml", &schema),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("all.yaml:1:7: date: expected a calendar date as YYYY-MM-DD, got "
                  "\"tomorrow\"\n"
                  "all.yaml:4:13: service_areas[0].demand: expected one of none, low, medium, "
                  "high, got \"very high\"\n"
                  "all.yaml:5:11: service_areas[1].name: expected a unique name, got "
                  "\"Analytics\" again (first at service_areas[0])\n"
                  "all.yaml:6:46: service_areas[1].capability.utilisation: expected a number in "
                  "[0, 100], got 101\n"
                  "all.yaml:8:20: observations[\"trend.direction\"]: expected one of improving, "
                  "flat, worsening, got \"sideways\"\n"
                  "all.yaml:9:45: observations[\"it.in_strategy\"].confidence: expected a "
                  "number in (0, 1], got 2\n"
                  "all.yaml:10:3: observations[\"staff.utilisaton\"]: undeclared indicator; did "
                  "you mean 'staff.utilisation'?")));
}

TEST(AssessmentReader, CapsTheNumberOfReportedProblems) {
  std::string text = "service_areas:\n";
  for (int i = 0; i < 60; ++i) absl::StrAppend(&text, "  - {name: a", i, ", weight: 0}\n");
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(text, "many.yaml");
  ASSERT_THAT(assessment, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  const std::string message(assessment.status().message());
  EXPECT_THAT(message, StartsWith("many.yaml:2:24: service_areas[0].weight: expected a positive "
                                  "number, got 0\n"));
  EXPECT_THAT(message,
              ::testing::EndsWith("many.yaml:51:25: service_areas[49].weight: expected a positive "
                                  "number, got 0\n… and 10 more"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 50);
}

// --- Files -----------------------------------------------------------------------------------

class AssessmentFileTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& name, const std::string& contents) {
    const std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) /
        absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", name);
    std::ofstream(path, std::ios::binary) << contents;
    written_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& path : written_) std::filesystem::remove(path);
  }

 private:
  std::vector<std::filesystem::path> written_;
};

TEST_F(AssessmentFileTest, ReadsYamlFileWithPathAsOrigin) {
  const std::filesystem::path good = Write("good.yml", "organisation: Acme\n");
  absl::StatusOr<proto::Assessment> assessment = ReadAssessmentFile(good);
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_EQ(assessment->organisation(), "Acme");

  const std::filesystem::path bad = Write("bad.json", "{\"organisation\": 1,\n \"x\": 2}");
  EXPECT_THAT(
      ReadAssessmentFile(bad),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq(bad.string() + ":2:2: x: unknown field; known fields are organisation, date, "
                                 "description, service_areas, observations")));
}

TEST_F(AssessmentFileTest, PassesSchemaOn) {
  const ObservationSchema schema = TestSchema();
  const std::filesystem::path path = Write("obs.yaml", "observations: {nope: 1}\n");
  EXPECT_THAT(ReadAssessmentFile(path, &schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(path.string() + ":1:16: observations[\"nope\"]: undeclared indicator")));
}

TEST_F(AssessmentFileTest, MissingFileIsNotFound) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "no_such_assessment.yaml";
  EXPECT_THAT(ReadAssessmentFile(path),
              StatusIs(absl::StatusCode::kNotFound, Eq(path.string() + ": no such file")));
}

TEST_F(AssessmentFileTest, OtherExtensionIsRejected) {
  const std::filesystem::path path = Write("notes.txt", "organisation: Acme\n");
  EXPECT_THAT(ReadAssessmentFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(path.string() + ": expected a .yaml, .yml or .json file, got \".txt\"")));
}

TEST_F(AssessmentFileTest, DirectoryIsNotAFile) {
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir());
  EXPECT_THAT(ReadAssessmentFile(path), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                 Eq(path.string() + ": not a regular file")));
}

// --- ValidateAssessment ----------------------------------------------------------------------

TEST(ValidateAssessment, AcceptsAValidBuiltAssessment) {
  const proto::Assessment assessment = FromText(R"pb(
    date: "2026-11-27"
    service_areas {
      name: "a"
      weight: 2
      capability { level: LEVEL_HIGH utilisation: 100 }
    }
    service_areas { name: "b" }
    observations {
      key: "capacity.utilisation"
      value { number: 92 }
    }
    observations {
      key: "trend.direction"
      value { choice: "flat" confidence: 0.4 }
    }
    observations {
      key: "it.in_strategy"
      value { flag: true }
    }
  )pb");
  EXPECT_TRUE(ValidateAssessment(assessment, TestSchema()).ok());
}

TEST(ValidateAssessment, UndeclaredIndicatorHasPathWithoutPosition) {
  proto::Assessment assessment;
  (*assessment.mutable_observations())["capacity.utilisaton"].set_number(92);
  EXPECT_THAT(ValidateAssessment(assessment, TestSchema()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("observations[\"capacity.utilisaton\"]: undeclared indicator; did you "
                          "mean 'capacity.utilisation'?")));
}

TEST(ValidateAssessment, ReportsEveryProblemInFieldOrder) {
  proto::Assessment assessment = FromText(R"pb(
    date: "2026-13-01"
    service_areas { name: "a" weight: 0 }
    service_areas {
      name: ""
      capability { utilisation: -1 }
    }
    service_areas { name: "a" }
    observations {
      key: "trend.direction"
      value { choice: "up" }
    }
    observations {
      key: "it.in_strategy"
      value { number: 1 confidence: 1.25 }
    }
    observations {
      key: "capacity.utilisation"
      value {}
    }
  )pb");
  assessment.mutable_service_areas(1)->set_demand(static_cast<proto::Level>(17));
  EXPECT_THAT(
      ValidateAssessment(assessment, TestSchema()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("date: expected a calendar date as YYYY-MM-DD, got \"2026-13-01\"\n"
                  "service_areas[0].weight: expected a positive number, got 0\n"
                  "service_areas[1].name: expected a non-empty name, got \"\"\n"
                  "service_areas[1].demand: expected one of none, low, medium, high, got 17\n"
                  "service_areas[1].capability.utilisation: expected a number in [0, 100], got "
                  "-1\n"
                  "service_areas[2].name: expected a unique name, got \"a\" again (first at "
                  "service_areas[0])\n"
                  "observations[\"capacity.utilisation\"]: expected a number, flag or choice, "
                  "got no value\n"
                  "observations[\"it.in_strategy\"]: expected true or false, got 1\n"
                  "observations[\"it.in_strategy\"].confidence: expected a number in (0, 1], got "
                  "1.25\n"
                  "observations[\"trend.direction\"]: expected one of improving, flat, worsening, "
                  "got \"up\"")));
}

TEST(ValidateAssessment, ZeroConfidenceMeansNotGiven) {
  proto::Assessment assessment;
  (*assessment.mutable_observations())["it.in_strategy"].set_flag(true);
  EXPECT_EQ(assessment.observations().at("it.in_strategy").confidence(), 0);
  EXPECT_TRUE(ValidateAssessment(assessment, TestSchema()).ok());
}

TEST(ValidateAssessment, ParsedAssessmentPassesValidation) {
  const ObservationSchema schema = TestSchema();
  absl::StatusOr<proto::Assessment> assessment = ParseAssessment(
      "service_areas: [{name: a, weight: 2}]\nobservations: {capacity.utilisation: 40}\n", "a.yaml",
      &schema);
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_TRUE(ValidateAssessment(*assessment, schema).ok());
}

}  // namespace
}  // namespace align::inference
