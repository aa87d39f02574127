// The parsed form of rule files, before names are resolved or types checked.
#ifndef ALIGN_INFERENCE_LANG_AST_H_
#define ALIGN_INFERENCE_LANG_AST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inference/lang/diagnostics.h"

namespace align::inference::ast {

enum class CompareOp : uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

// "<", "<=", ">", ">=", "=", "!=".
const char* Spelling(CompareOp op);

// The right-hand side of a comparison as written: a number, true/false, or a word (a choice).
struct Literal {
  enum class Kind { kNumber, kBool, kWord };
  Kind kind = Kind::kNumber;
  double number = 0;
  bool flag = false;
  std::string word;
  std::string text;  // as written
  SourceLocation location;
};

struct Expr {
  enum class Kind {
    kCompare,  // subject op literal
    kBetween,  // subject between low and high
    kIn,       // subject in {words}
    kRef,      // bare subject: a bool indicator or a conclusion's certainty
    kKnown,    // known(subject)
    kRamp,     // ramp(subject, low, high)
    kNot,
    kAnd,
    kOr,
  };
  Kind kind = Kind::kRef;
  SourceLocation location;
  std::string text;  // the source text of this expression, whitespace collapsed

  std::string subject;
  SourceLocation subject_location;
  CompareOp op = CompareOp::kEqual;
  Literal literal;                  // kCompare
  Literal low, high;                // kBetween, kRamp
  std::vector<Literal> words;       // kIn
  std::vector<std::unique_ptr<Expr>> children;  // kNot (1), kAnd/kOr (2+)
};

// `name: value` under a declaration.
struct Property {
  std::string name;
  SourceLocation location;
  std::string text;                      // string value
  std::optional<double> low, high;       // `range: low .. high`
};

struct RuleBaseDecl {
  std::string id;
  std::string version;
  SourceLocation location;
  std::vector<Property> properties;
};

struct IndicatorDecl {
  enum class Type { kNumber, kBool, kChoice };
  std::string id;
  SourceLocation location;
  Type type = Type::kNumber;
  std::vector<Literal> choices;
  std::vector<Property> properties;
};

// finding / pattern / cause / action.
struct ConclusionDecl {
  std::string keyword;
  std::string id;
  SourceLocation location;
  std::vector<Property> properties;
};

struct RuleDecl {
  std::string id;
  SourceLocation location;
  std::unique_ptr<Expr> condition;
  std::string conclusion;
  SourceLocation conclusion_location;
  double cf = 1.0;
  SourceLocation cf_location;
  std::string because;
  std::vector<Property> properties;
};

// Everything declared in one file, in source order per kind.
struct File {
  std::string path;
  std::vector<RuleBaseDecl> rulebases;
  std::vector<IndicatorDecl> indicators;
  std::vector<ConclusionDecl> conclusions;
  std::vector<RuleDecl> rules;
};

}  // namespace align::inference::ast

#endif  // ALIGN_INFERENCE_LANG_AST_H_
