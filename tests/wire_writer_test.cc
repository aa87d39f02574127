// WireWriter must write what the generated serialiser writes for the same values, byte for byte,
// at every length boundary and for every default the serialiser leaves out.
#include <cmath>
#include <stdexcept>
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
  {
    WireWriter out(&bytes);
    out.String(1, text);
    out.Int(3, outcome);
    out.Double(4, degree);
  }  // the bytes reach the string when the writer finishes, here as it goes out of scope
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
  WireWriter(&bytes).Int(10, -1);  // a temporary: finished at the end of the statement
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
  out.Finish();
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
    out.Finish();
    EXPECT_EQ(bytes, message.SerializeAsString()) << "text of " << size << " bytes";
  }
}

// Small parts come from message objects; what was in the string before stays.
TEST(WireWriter, MessagesAndWhatCameBefore) {
  proto::OpenQuestion question;
  question.set_indicator("market.share_trend");
  question.set_impact(0.42);
  question.add_affects("cause.missed_market_shift");
  proto::Diagnosis message;
  *message.add_open_questions() = question;
  message.set_decision_id("d1");
  std::string bytes = "kept";
  {
    WireWriter out(&bytes);
    out.Message(10, question);
    out.String(12, "d1");
  }
  EXPECT_EQ(bytes, "kept" + message.SerializeAsString());
}

// Growing from empty through many reallocations: every field lands where it should.
TEST(WireWriter, ManyFieldsThroughGrowth) {
  proto::RuleTrace message;
  std::string bytes;
  {
    WireWriter out(&bytes);
    for (int i = 0; i < 5000; ++i) {
      const std::string id = "indicator." + std::to_string(i);
      message.add_missing(id);
      out.Bytes(11, id);
    }
  }
  EXPECT_EQ(bytes, message.SerializeAsString());
}

// The thread keeps the buffer: a large answer then a small one must not leave a trace of the
// first in the second.
TEST(WireWriter, ReusedBufferCarriesNothingOver) {
  std::string large, small;
  {
    WireWriter out(&large);
    out.String(1, std::string(100000, 'x'));
  }
  {
    WireWriter out(&small);
    out.String(1, "y");
  }
  proto::ConditionTrace expected;
  expected.set_text("y");
  EXPECT_EQ(small, expected.SerializeAsString());
  EXPECT_EQ(large.size(), 100000u + 4);  // tag, three length bytes, text
}

// A second writer while the first is open on the same thread gets a buffer of its own.
TEST(WireWriter, NestedWritersKeepTheirOwnBytes) {
  std::string outer, inner;
  {
    WireWriter first(&outer);
    first.String(1, "outer");
    {
      WireWriter second(&inner);
      second.String(1, "inner");
    }
    first.String(2, "subject");
  }
  proto::ConditionTrace expected_outer, expected_inner;
  expected_outer.set_text("outer");
  expected_outer.set_subject("subject");
  expected_inner.set_text("inner");
  EXPECT_EQ(outer, expected_outer.SerializeAsString());
  EXPECT_EQ(inner, expected_inner.SerializeAsString());
}

// An exception while writing leaves the string as it was: no message cut short.
TEST(WireWriter, NothingIsAppendedWhileAnExceptionUnwinds) {
  std::string bytes = "before";
  try {
    WireWriter out(&bytes);
    out.String(1, "partial");
    throw std::runtime_error("stop");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(bytes, "before");
  // And the thread's buffer is still there for the next writer.
  {
    WireWriter out(&bytes);
    out.String(1, "x");
  }
  EXPECT_EQ(bytes, "before\x0a\x01x");
}

}  // namespace
}  // namespace align::inference
