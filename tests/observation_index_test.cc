#include "inference/io/observation_index.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/loader.h"
#include "inference/rulebase/rule_base.h"

namespace align::inference {
namespace {

IndicatorSchema Declared(IndicatorSchema::Type type, int node, std::optional<double> min = {},
                         std::optional<double> max = {}) {
  IndicatorSchema schema;
  schema.type = type;
  schema.node = node;
  schema.min = min;
  schema.max = max;
  return schema;
}

ObservationSchema TestSchema() {
  using Type = IndicatorSchema::Type;
  ObservationSchema schema;
  schema["capacity.utilisation"] = Declared(Type::kNumber, 3, 0, 100);
  schema["staff.utilisation"] = Declared(Type::kNumber, 4, 0, 100);
  schema["backlog.age_days"] = Declared(Type::kNumber, 5, 0);
  schema["it.in_strategy"] = Declared(Type::kBool, 6);
  schema["trend.direction"] = Declared(Type::kChoice, 7);
  schema["trend.direction"].choices = {"improving", "flat", "worsening"};
  schema["a"] = Declared(Type::kNumber, 8);  // no bounds at all
  schema["ab"] = Declared(Type::kBool, 9);
  return schema;
}

proto::Observation Number(double value) {
  proto::Observation observation;
  observation.set_number(value);
  return observation;
}

proto::Observation Flag(bool value) {
  proto::Observation observation;
  observation.set_flag(value);
  return observation;
}

proto::Observation Choice(std::string value) {
  proto::Observation observation;
  observation.set_choice(std::move(value));
  return observation;
}

TEST(ObservationIndex, NumbersWithinTheDeclaredBoundsResolveToTheirNode) {
  const ObservationSchema schema = TestSchema();
  const ObservationIndex index(schema);
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(92)), 3);
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(0)), 3);    // bounds are inclusive
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(100)), 3);
  EXPECT_EQ(index.NodeIfFits("staff.utilisation", Number(50)), 4);
  EXPECT_EQ(index.NodeIfFits("backlog.age_days", Number(1e12)), 5);     // no upper bound
  EXPECT_EQ(index.NodeIfFits("a", Number(-1e300)), 8);                   // no bound at all
}

TEST(ObservationIndex, WhatItCannotSettleIsLeftToTheSchema) {
  const ObservationSchema schema = TestSchema();
  const ObservationIndex index(schema);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(100.5)), -1);
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(-0.1)), -1);
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(std::nan(""))), -1);
  EXPECT_EQ(index.NodeIfFits("backlog.age_days", Number(inf)), -1);
  EXPECT_EQ(index.NodeIfFits("a", Number(-inf)), -1);
  EXPECT_EQ(index.NodeIfFits("a", Number(std::nan(""))), -1);
  EXPECT_EQ(index.NodeIfFits("backlog.age_days", Number(-1)), -1);
  EXPECT_EQ(index.NodeIfFits("it.in_strategy", Number(1)), -1);        // wrong type
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Flag(true)), -1);
  EXPECT_EQ(index.NodeIfFits("trend.direction", Choice("flat")), -1);  // choices: the schema
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", proto::Observation()), -1);  // no value
  EXPECT_EQ(index.NodeIfFits("capacity.utilisaton", Number(92)), -1);  // undeclared
  EXPECT_EQ(index.NodeIfFits("", Number(1)), -1);
  // Ids lie back to back in one block: neither a neighbour's prefix nor two ids run together
  // are found.
  EXPECT_EQ(index.NodeIfFits("ab", Flag(false)), 9);
  EXPECT_EQ(index.NodeIfFits("b", Flag(false)), -1);
  EXPECT_EQ(index.NodeIfFits("aab", Flag(false)), -1);
}

TEST(ObservationIndex, AMovedIndexStillFindsShortIds) {
  const ObservationSchema schema = TestSchema();
  ObservationIndex index(schema);
  ObservationIndex moved = std::move(index);
  EXPECT_EQ(moved.NodeIfFits("a", Number(5)), 8);
  EXPECT_EQ(moved.NodeIfFits("ab", Flag(true)), 9);
  ObservationIndex assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.NodeIfFits("capacity.utilisation", Number(5)), 3);
}

TEST(ObservationIndex, ACopyAnswersAsTheOriginal) {
  const ObservationSchema schema = TestSchema();
  const ObservationIndex index(schema);
  const ObservationIndex copy = index;
  EXPECT_EQ(copy.NodeIfFits("a", Number(5)), 8);
  EXPECT_EQ(copy.NodeIfFits("ab", Flag(true)), 9);
  EXPECT_EQ(copy.NodeIfFits("capacity.utilisation", Number(101)), -1);
}

// Ids that the table files under the same first slot sit one after another; every one is
// found, also where the run wraps past the table's end, and an undeclared id filed there too
// is not. Eight ids make a table of sixteen slots, so the first slot is the hash mod 16.
TEST(ObservationIndex, IdsFiledUnderOneSlotAreAllFoundAcrossTheTableEnd) {
  std::vector<std::string> colliding;
  for (int i = 0; colliding.size() < 9; ++i) {
    std::string id = "indicator." + std::to_string(i);
    if (ObservationIndex::Hash(id) % 16 == 15) colliding.push_back(std::move(id));
  }
  const std::string undeclared = colliding.back();
  colliding.pop_back();
  ObservationSchema schema;
  for (size_t i = 0; i < colliding.size(); ++i) {
    schema[colliding[i]] = Declared(IndicatorSchema::Type::kNumber, static_cast<int>(i));
  }
  const ObservationIndex index(schema);
  for (size_t i = 0; i < colliding.size(); ++i) {
    EXPECT_EQ(index.NodeIfFits(colliding[i], Number(1)), static_cast<int>(i)) << colliding[i];
  }
  EXPECT_EQ(index.NodeIfFits(undeclared, Number(1)), -1);
}

// Thousands of ids of every length from 1 to 40 (every way the hash and the comparison read
// a tail): each is found, and none of its one-byte edits, prefixes or extensions is unless it
// is itself declared.
TEST(ObservationIndex, IdsOfEveryLengthAreFoundAndTheirNearMissesAreNot) {
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._";
  std::mt19937 random(42);
  ObservationSchema schema;
  std::vector<std::string> ids;
  for (size_t length = 1; length <= 40; ++length) {
    for (int n = 0; n < 75; ++n) {
      std::string id;
      for (size_t i = 0; i < length; ++i) id += alphabet[random() % alphabet.size()];
      if (schema.contains(id)) continue;
      schema[id] = Declared(IndicatorSchema::Type::kBool, static_cast<int>(ids.size()));
      ids.push_back(id);
    }
  }
  ASSERT_GT(ids.size(), 2900u);
  const ObservationIndex index(schema);
  auto expected = [&](const std::string& id) {
    auto it = schema.find(id);
    return it == schema.end() ? -1 : it->second.node;
  };
  int near_misses = 0;
  for (const std::string& id : ids) {
    ASSERT_EQ(index.NodeIfFits(id, Flag(true)), expected(id)) << id;
    for (size_t at = 0; at < id.size(); ++at) {
      std::string edited = id;
      edited[at] = edited[at] == 'a' ? 'b' : 'a';
      EXPECT_EQ(index.NodeIfFits(edited, Flag(true)), expected(edited)) << edited;
      near_misses += expected(edited) == -1;
    }
    const std::string shorter = id.substr(0, id.size() - 1);
    EXPECT_EQ(index.NodeIfFits(shorter, Flag(true)), expected(shorter)) << shorter;
    const std::string longer = id + "x";
    EXPECT_EQ(index.NodeIfFits(longer, Flag(true)), expected(longer)) << longer;
    EXPECT_EQ(index.NodeIfFits(std::string(id) + '\0', Flag(true)), -1) << id;
  }
  EXPECT_GT(near_misses, 50000);
}

// A hash that matches is settled by comparing the bytes, read a word at a time: equal runs of
// every length compare equal, and a difference in any one byte is seen.
TEST(ObservationIndex, SameBytesSeesADifferenceInAnyByte) {
  for (size_t size = 0; size <= 40; ++size) {
    std::string a, b;
    for (size_t i = 0; i < size; ++i) a += static_cast<char>('a' + i % 26);
    b = a;
    EXPECT_TRUE(ObservationIndex::SameBytes(a.data(), b.data(), size)) << size;
    for (size_t at = 0; at < size; ++at) {
      std::string edited = b;
      edited[at] = '#';
      EXPECT_FALSE(ObservationIndex::SameBytes(a.data(), edited.data(), size))
          << "size " << size << ", byte " << at;
    }
  }
}

// A slot holds an id's size in 16 bits: the longest id that fits is found, a longer one (and an
// empty one) is left to the schema, and validation resolves them all as it does without the
// index.
TEST(ObservationIndex, IdsTooLongForASlotAreLeftToTheSchema) {
  ObservationSchema schema = TestSchema();
  const std::string longest(65535, 'x'), too_long(65536, 'y');
  schema[longest] = Declared(IndicatorSchema::Type::kBool, 10);
  schema[too_long] = Declared(IndicatorSchema::Type::kBool, 11);
  schema[""] = Declared(IndicatorSchema::Type::kNumber, 12);
  const ObservationIndex index(schema);
  EXPECT_EQ(index.NodeIfFits(longest, Flag(true)), 10);
  EXPECT_EQ(index.NodeIfFits(too_long, Flag(true)), -1);
  EXPECT_EQ(index.NodeIfFits("", Number(1)), -1);
  EXPECT_EQ(index.NodeIfFits("ab", Flag(true)), 9);
  EXPECT_EQ(index.NodeIfFits("capacity.utilisation", Number(1)), 3);

  proto::Assessment assessment;
  (*assessment.mutable_observations())[longest].set_flag(true);
  (*assessment.mutable_observations())[too_long].set_flag(false);
  (*assessment.mutable_observations())["capacity.utilisation"].set_number(40);
  std::vector<ResolvedObservation> with, without;
  const absl::Status expected =
      ValidateAssessment(assessment, schema, ObservationIndex(), &without);
  EXPECT_EQ(ValidateAssessment(assessment, schema, index, &with), expected);
  ASSERT_TRUE(expected.ok()) << expected;
  auto nodes = [](const std::vector<ResolvedObservation>& resolved) {
    std::vector<int> out;
    for (const ResolvedObservation& r : resolved) out.push_back(r.node);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(nodes(with), ::testing::ElementsAre(3, 10, 11));
  EXPECT_EQ(nodes(with), nodes(without));
}

TEST(ObservationIndex, AnEmptySchemaFindsNothing) {
  const ObservationIndex index{ObservationSchema()};
  EXPECT_EQ(index.NodeIfFits("a", Number(1)), -1);
  const ObservationIndex unbuilt;
  EXPECT_EQ(unbuilt.NodeIfFits("a", Number(1)), -1);
}

// The index a compiled rule base builds covers its whole schema: every declared number or flag
// resolves to the schema's node, at both ends of its range; every choice is left to the schema.
TEST(ObservationIndex, TheStandardRuleBaseIndexesItsWholeSchema) {
  auto rules = LoadRuleBase(std::filesystem::path(ALIGN_SOURCE_DIR) / "rules");
  ASSERT_TRUE(rules.ok()) << rules.status();
  const ObservationIndex& index = (*rules)->observation_index();
  int numbers = 0, flags = 0, choices = 0;
  for (const auto& [id, declared] : (*rules)->schema()) {
    switch (declared.type) {
      case IndicatorSchema::Type::kNumber:
        EXPECT_EQ(index.NodeIfFits(id, Number(declared.min.value_or(-1e9))), declared.node) << id;
        EXPECT_EQ(index.NodeIfFits(id, Number(declared.max.value_or(1e9))), declared.node) << id;
        ++numbers;
        break;
      case IndicatorSchema::Type::kBool:
        EXPECT_EQ(index.NodeIfFits(id, Flag(true)), declared.node) << id;
        ++flags;
        break;
      case IndicatorSchema::Type::kChoice:
        EXPECT_EQ(index.NodeIfFits(id, Choice(declared.choices.empty() ? "any"
                                                                         : declared.choices[0])),
                  -1)
            << id;
        ++choices;
        break;
    }
    EXPECT_GE(declared.node, 0) << id;
  }
  EXPECT_EQ(numbers + flags + choices, 41);  // the declared indicators; built-ins are not in it
  EXPECT_GT(numbers, 0);
  EXPECT_GT(flags, 0);
}

// ValidateAssessment with the index must answer exactly as without it: the same status, code
// and message, and the same observations resolved to the same nodes.
TEST(ObservationIndex, ValidationWithTheIndexAnswersAsWithout) {
  const ObservationSchema schema = TestSchema();
  const ObservationIndex index(schema);
  const std::vector<std::string> ids = {"capacity.utilisation", "staff.utilisation",
                                        "backlog.age_days",     "it.in_strategy",
                                        "trend.direction",      "a",
                                        "ab",                   "capacity.utilisaton",
                                        ""};
  const std::vector<double> numbers = {-1, 0, 50, 100, 100.5, std::nan(""),
                                       std::numeric_limits<double>::infinity()};
  const std::vector<std::string> choices = {"flat", "up", ""};
  std::mt19937 random(20261127);
  int failures = 0, passes = 0;
  for (int round = 0; round < 2000; ++round) {
    proto::Assessment assessment;
    const bool clean = random() % 2 == 0;  // half the rounds stay within the declarations
    for (const std::string& id : ids) {
      const auto declared = schema.find(id);
      if (random() % 2 == 0 || (clean && declared == schema.end())) continue;
      proto::Observation& observation = (*assessment.mutable_observations())[id];
      if (clean) {
        switch (declared->second.type) {
          case IndicatorSchema::Type::kNumber: observation.set_number(random() % 101); break;
          case IndicatorSchema::Type::kBool: observation.set_flag(random() % 2 == 0); break;
          case IndicatorSchema::Type::kChoice: observation.set_choice("flat"); break;
        }
        continue;
      }
      switch (random() % 4) {
        case 0: observation.set_number(numbers[random() % numbers.size()]); break;
        case 1: observation.set_flag(random() % 2 == 0); break;
        case 2: observation.set_choice(choices[random() % choices.size()]); break;
        default: break;  // no value
      }
      if (random() % 5 == 0) observation.set_confidence(random() % 2 == 0 ? 0.5 : 1.5);
    }
    std::vector<ResolvedObservation> without, with;
    const absl::Status expected =
        ValidateAssessment(assessment, schema, ObservationIndex(), &without);
    const absl::Status actual = ValidateAssessment(assessment, schema, index, &with);
    ASSERT_EQ(actual, expected) << "round " << round;
    ASSERT_EQ(with.size(), without.size()) << "round " << round;
    for (size_t i = 0; i < with.size(); ++i) {
      EXPECT_EQ(with[i].node, without[i].node) << "round " << round;
      EXPECT_EQ(with[i].observation, without[i].observation) << "round " << round;
    }
    (expected.ok() ? passes : failures)++;
  }
  // Both kinds of answer were compared, many times over.
  EXPECT_GT(passes, 100);
  EXPECT_GT(failures, 100);
}

}  // namespace
}  // namespace align::inference
