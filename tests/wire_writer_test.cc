// WireWriter must write what the generated serialiser writes for the same values, byte for byte,
// at every length boundary and for every default the serialiser leaves out.
#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "inference/util/proto_alias.h"
#include "inference/util/wire_writer.h"
#include "alignment/v1/diagnosis.pb.h"

namespace align::inference {
namespace {

// A ConditionTrace written both ways: by the serialiser and by hand.
void ExpectSameCondition(const std::string& text, double degree, int outcome) {
  proto::ConditionTrace message;
  message.set_text(text);
  message.set_degree(degree);
  message.set_outcome(static_cast<proto::ConditionOutcome>(outcome));
  std::string bytes;
  WireWriter out(&bytes);
  out.String(1, text);
  out.Int(3, outcome);
  out.Double(4, degree);
  EXPECT_EQ(bytes, message.SerializeAsString())
      << "text of " << text.size() << " bytes, degree " << degree << ", outcome " << outcome;
}

TEST(WireWriter, ScalarsMatchTheSerialiser) {
  for (double degree : {0.0, -0.0, 1.0, -1.0, 0.35, 1e-300, std::nan("")}) {
    for (int outcome : {0, 1, 3}) ExpectSameCondition("x", degree, outcome);
  }
  ExpectSameCondition("", 0, 0);
  EXPECT_EQ(proto::ConditionTrace().SerializeAsString(), "");
}

// A negative int32 takes ten bytes, sign-extended, as the serialiser writes it.
TEST(WireWriter, NegativeIntTakesTenBytes) {
  proto::RuleTrace message;
  message.set_first_failing(-1);
  std::string bytes;
  WireWriter(&bytes).Int(10, -1);
  EXPECT_EQ(bytes, message.SerializeAsString());
  EXPECT_EQ(bytes.size(), 11u);
}

TEST(WireWriter, RepeatedStringsAreWrittenEvenWhenEmpty) {
  proto::RuleTrace message;
  message.add_missing("");
  message.add_missing("work.backlog");
  std::string bytes;
  WireWriter out(&bytes);
  out.Bytes(11, "");
  out.Bytes(11, "work.backlog");
  EXPECT_EQ(bytes, message.SerializeAsString());
}

// Nested messages around the lengths where a varint grows: 1 byte up to 127, 2 up to 16383,
// 3 beyond; Begin sets two aside, so End must shift the content both ways.
TEST(WireWriter, NestedLengthsAtEveryVarintBoundary) {
  for (size_t size : {0u, 1u, 125u, 126u, 127u, 128u, 129u, 16380u, 16381u, 16382u, 16383u,
                      16384u, 16385u, 2097151u, 2097152u}) {
    proto::RuleTrace message;
    message.add_conditions()->set_text(std::string(size, 'a'));
    message.add_conditions();  // present although empty
    message.set_rule_id("r");
    std::string bytes;
    WireWriter out(&bytes);
    out.String(1, "r");
    size_t condition = out.Begin(9);
    out.String(1, std::string(size, 'a'));
    out.End(condition);
    condition = out.Begin(9);
    out.End(condition);
    EXPECT_EQ(bytes, message.SerializeAsString()) << "text of " << size << " bytes";
  }
}

// A string field whose text is appended in place between Begin and End.
TEST(WireWriter, TextAppendedInPlace) {
  for (size_t size : {0u, 5u, 127u, 128u, 20000u}) {
    proto::Explanation message;
    message.set_node_id("cause.x");
    message.set_text(std::string(size, 't'));
    std::string bytes;
    WireWriter out(&bytes);
    out.String(1, "cause.x");
    const size_t text = out.Begin(7);
    out.buffer().append(size, 't');
    out.End(text);
    proto::Explanation parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.text().size(), size);
    // An empty text written this way is present on the wire, where the serialiser leaves it
    // out; both parse to the same message.
    if (size > 0) EXPECT_EQ(bytes, message.SerializeAsString());
  }
}

}  // namespace
}  // namespace align::inference
