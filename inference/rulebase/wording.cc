#include "inference/rulebase/wording.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

// A node's title as it reads inside a sentence: "Unplanned work" -> "unplanned work", while
// "SAMM: skills" and "IT involved …" keep their capitals.
std::string InSentence(const std::string& title) {
  if (title.size() >= 2 && std::isupper(static_cast<unsigned char>(title[0])) &&
      std::islower(static_cast<unsigned char>(title[1]))) {
    return std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(title[0])))) +
           title.substr(1);
  }
  return title;
}

std::string WithUnit(double value, const std::string& unit) {
  std::string text = FormatNumber(value);
  if (unit.empty()) return text;
  return unit[0] == '%' ? absl::StrCat(text, unit) : absl::StrCat(text, " ", unit);
}

const char* CompareWords(ast::CompareOp op) {
  switch (op) {
    case ast::CompareOp::kLess: return "below";
    case ast::CompareOp::kLessEqual: return "at most";
    case ast::CompareOp::kGreater: return "above";
    case ast::CompareOp::kGreaterEqual: return "at least";
    case ast::CompareOp::kEqual: return "exactly";
    case ast::CompareOp::kNotEqual: return "other than";
  }
  return "?";
}

}  // namespace

std::string LeafWording(const NodeInfo& node, const Op& op) {
  const std::string name = InSentence(node.title);
  switch (op.code) {
    case OpCode::kCompare:
      return absl::StrCat(name, " ", CompareWords(op.compare), " ", WithUnit(op.a, node.unit));
    case OpCode::kBetween:
      return absl::StrCat(name, " between ", FormatNumber(op.a), " and ",
                          WithUnit(op.b, node.unit));
    case OpCode::kIsFlag:
      return absl::StrCat(name, op.flag ? " to be true" : " to be false");
    case OpCode::kInChoices: {
      std::vector<std::string> values;
      for (size_t i = 0; i < node.choices.size(); ++i) {
        if ((op.choice_mask >> i) & 1) values.push_back(node.choices[i]);
      }
      return values.size() == 1 ? absl::StrCat(name, " ", values[0])
                                : absl::StrCat(name, " ", absl::StrJoin(values, " or "));
    }
    case OpCode::kRamp:
      return absl::StrCat(name, op.a < op.b ? " above " : " below ", WithUnit(op.a, node.unit),
                          " (fully from ", WithUnit(op.b, node.unit), ")");
    case OpCode::kKnown:
      return absl::StrCat(name, " to be known");
    case OpCode::kCertainty:
      return absl::StrCat(name, " to be concluded");
    case OpCode::kCompareCertainty:
      return absl::StrCat("the certainty of ", name, " ", CompareWords(op.compare), " ",
                          FormatNumber(op.a));
    default:
      return "";
  }
}

}  // namespace align::inference
