#include "absl/strings/string_view.h"
#include "inference/lang/parser.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/lang/lexer.h"
#include "inference/util/suggest.h"

namespace align::inference {
namespace {

constexpr absl::string_view kDeclarationKeywords[] = {"rulebase", "indicator", "finding",
                                                     "pattern",  "cause",     "action",
                                                     "rule"};
constexpr absl::string_view kKeywords[] = {
    "rulebase", "indicator", "finding", "pattern", "cause",   "action",  "rule",
    "when",     "then",      "cf",      "because", "and",     "or",      "not",
    "in",       "between",   "known",   "ramp",    "true",    "false",   "number",
    "bool",     "choice"};

bool IsDeclarationKeyword(absl::string_view word) {
  return std::find(std::begin(kDeclarationKeywords), std::end(kDeclarationKeywords), word) !=
         std::end(kDeclarationKeywords);
}
bool IsKeyword(absl::string_view word) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), word) != std::end(kKeywords);
}

// Properties each declaration accepts.
const std::vector<absl::string_view>& AllowedProperties(absl::string_view keyword) {
  static const std::vector<absl::string_view> kIndicator = {"title",    "unit",     "range",
                                                           "description", "question", "source",
                                                           "allow"};
  static const std::vector<absl::string_view> kConclusion = {"title", "category", "description",
                                                            "source", "allow"};
  static const std::vector<absl::string_view> kRule = {"source", "allow"};
  static const std::vector<absl::string_view> kRuleBase = {"title", "description", "source"};
  if (keyword == "indicator") return kIndicator;
  if (keyword == "rule") return kRule;
  if (keyword == "rulebase") return kRuleBase;
  return kConclusion;
}

// Thrown inside this file only, to unwind to the declaration loop after a syntax error.
struct SyntaxError {};

class Parser {
 public:
  Parser(absl::string_view text, const std::string& path, Diagnostics& diagnostics)
      : text_(text),
        path_(path),
        file_name_(path),
        diagnostics_(diagnostics),
        lexed_(Tokenize(text, file_name_, diagnostics)),
        tokens_(lexed_.tokens) {}

  ast::File Run() {
    ast::File file;
    file.path = path_;
    while (Peek().kind != TokenKind::kEnd) {
      try {
        ParseDeclaration(file);
      } catch (const SyntaxError&) {
        SkipToNextDeclaration();
      }
    }
    return file;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  SourceLocation At(const Token& token) const { return {file_name_, token.line, token.column}; }
  bool IsWord(const Token& token, absl::string_view word) const {
    return token.kind == TokenKind::kIdentifier && token.text == word;
  }

  static std::string Shown(const Token& token) {
    switch (token.kind) {
      case TokenKind::kEnd: return "end of file";
      case TokenKind::kString: return absl::StrCat("string \"", token.value, "\"");
      default: return absl::StrCat("'", token.text, "'");
    }
  }

  void Report(const Token& token, std::string message, std::string hint = "") {
    diagnostics_.Error(At(token), "syntax", std::move(message), std::move(hint));
  }
  [[noreturn]] void Fail(const Token& token, std::string message, std::string hint = "") {
    Report(token, std::move(message), std::move(hint));
    throw SyntaxError{};
  }
  [[noreturn]] void Expected(absl::string_view what, std::string hint = "") {
    Fail(Peek(), absl::StrCat("expected ", what, ", found ", Shown(Peek())), std::move(hint));
  }

  const Token& Expect(TokenKind kind, absl::string_view context) {
    if (Peek().kind != kind) Expected(absl::StrCat(Describe(kind), " ", context));
    return Next();
  }
  void ExpectWord(absl::string_view word, absl::string_view context) {
    if (!IsWord(Peek(), word)) Expected(absl::StrCat("'", word, "' ", context));
    Next();
  }
  // An identifier that is not a keyword.
  static bool IsName(const Token& token) {
    return token.kind == TokenKind::kIdentifier && !IsKeyword(token.text);
  }
  const Token& ExpectName(absl::string_view what) {
    const Token& token = Peek();
    if (!IsName(token)) {
      if (token.kind == TokenKind::kIdentifier) {
        Fail(token, absl::StrCat("expected ", what, ", found keyword '", token.text, "'"));
      }
      Expected(what);
    }
    return Next();
  }

  void SkipToNextDeclaration() {
    while (Peek().kind != TokenKind::kEnd &&
           !(Peek().starts_line && Peek().kind == TokenKind::kIdentifier &&
             IsDeclarationKeyword(Peek().text))) {
      Next();
    }
  }

  void ParseDeclaration(ast::File& file) {
    const Token& start = Peek();
    if (start.kind != TokenKind::kIdentifier || !IsDeclarationKeyword(start.text)) {
      Expected("a declaration (rulebase, indicator, finding, pattern, cause, action or rule)");
    }
    if (!start.starts_line) {
      Fail(start, absl::StrCat("'", start.text, "' must start in the first column"),
           "declarations start at the beginning of a line; only properties are indented");
    }
    std::string keyword(start.text);
    Next();
    if (keyword == "rulebase") {
      ast::RuleBaseDecl decl;
      decl.location = At(start);
      decl.id = std::string(ExpectName("a rule base id").text);
      ExpectWord("version", "after the rule base id");
      decl.version = ParseString("as the version");
      decl.properties = ParseProperties(keyword);
      file.rulebases.push_back(std::move(decl));
    } else if (keyword == "indicator") {
      file.indicators.push_back(ParseIndicator(start));
    } else if (keyword == "rule") {
      file.rules.push_back(ParseRule(start));
    } else {
      ast::ConclusionDecl decl;
      decl.keyword = keyword;
      decl.location = At(start);
      // The expectation is spelled out only when it is needed, for the error.
      decl.id = std::string(IsName(Peek()) ? Next().text
                                           : ExpectName(absl::StrCat("a ", keyword, " id")).text);
      decl.properties = ParseProperties(keyword);
      file.conclusions.push_back(std::move(decl));
    }
  }

  ast::IndicatorDecl ParseIndicator(const Token& start) {
    ast::IndicatorDecl decl;
    decl.location = At(start);
    decl.id = std::string(ExpectName("an indicator id").text);
    Expect(TokenKind::kColon, "and a type after the indicator id");
    const Token& type = Peek();
    if (IsWord(type, "number")) {
      decl.type = ast::IndicatorDecl::Type::kNumber;
      Next();
    } else if (IsWord(type, "bool")) {
      decl.type = ast::IndicatorDecl::Type::kBool;
      Next();
    } else if (IsWord(type, "choice")) {
      decl.type = ast::IndicatorDecl::Type::kChoice;
      Next();
      decl.choices = ParseWordSet("choice values");
    } else {
      Expected("a type (number, bool or choice {…})");
    }
    decl.properties = ParseProperties("indicator");
    return decl;
  }

  // `{a, b, c}`.
  std::vector<ast::Literal> ParseWordSet(absl::string_view what) {
    Expect(TokenKind::kLeftBrace, absl::StrCat("to open the ", what));
    std::vector<ast::Literal> words;
    while (true) {
      const Token& word = ExpectName(what == "choice values" ? "a choice value" : "a value");
      ast::Literal literal;
      literal.kind = ast::Literal::Kind::kWord;
      literal.word = std::string(word.text);
      literal.text = literal.word;
      literal.location = At(word);
      words.push_back(std::move(literal));
      if (Peek().kind == TokenKind::kComma) {
        Next();
        continue;
      }
      Expect(TokenKind::kRightBrace, absl::StrCat("or ',' in the ", what));
      return words;
    }
  }

  std::string ParseString(absl::string_view context) {
    const size_t first = pos_;
    Expect(TokenKind::kString, context);
    return StringsFrom(first);
  }
  // The string token at `first`, just read, joined with the ones right after it: adjacent
  // strings join, so long texts can span lines.
  std::string StringsFrom(size_t first) {
    std::string value(tokens_[first].value);
    while (Peek().kind == TokenKind::kString) absl::StrAppend(&value, Next().value);
    return value;
  }

  std::vector<ast::Property> ParseProperties(absl::string_view keyword) {
    std::vector<ast::Property> properties;
    while (Peek().kind == TokenKind::kIdentifier && !Peek().starts_line &&
           Peek(1).kind == TokenKind::kColon) {
      // A broken property is skipped to the end of its line; the declaration stays, so that
      // rules naming it do not add errors of their own.
      const int line = Peek().line;
      try {
        properties.push_back(ParseProperty(keyword));
      } catch (const SyntaxError&) {
        while (Peek().kind != TokenKind::kEnd && Peek().line == line) Next();
      }
    }
    // Whatever follows is reported, and skipped, without losing this declaration.
    const Token& after = Peek();
    if (after.kind != TokenKind::kEnd &&
        !(after.starts_line && after.kind == TokenKind::kIdentifier &&
          IsDeclarationKeyword(after.text))) {
      if (after.kind == TokenKind::kIdentifier && IsDeclarationKeyword(after.text)) {
        Report(after, absl::StrCat("'", after.text, "' must start in the first column"),
               "declarations start at the beginning of a line; only properties are indented");
      } else {
        Report(after, absl::StrCat("expected ",
                                   after.starts_line
                                       ? "a declaration (rulebase, indicator, finding, pattern, "
                                         "cause, action or rule)"
                                       : "a property ('name: value') or a new declaration in "
                                         "the first column",
                                   ", found ", Shown(after)));
      }
      SkipToNextDeclaration();
    }
    return properties;
  }

  ast::Property ParseProperty(absl::string_view keyword) {
    {
      const Token& name = Next();
      Next();  // ':'
      ast::Property property;
      property.name = std::string(name.text);
      property.location = At(name);
      const auto& allowed = AllowedProperties(keyword);
      if (std::find(allowed.begin(), allowed.end(), name.text) == allowed.end()) {
        std::vector<absl::string_view> names(allowed.begin(), allowed.end());
        Fail(name,
             absl::StrCat("unknown property '", name.text, "' for ", keyword,
                          DidYouMean(ClosestNames(name.text, names))),
             absl::StrCat(keyword, " properties: ", absl::StrJoin(allowed, ", ")));
      }
      if (property.name == "range") {
        property.low = ParseSignedNumber("as the low end of the range");
        Expect(TokenKind::kDotDot, "between the ends of the range (low .. high)");
        property.high = ParseSignedNumber("as the high end of the range");
      } else {
        // As ParseString, with the context spelled out only for the error.
        if (Peek().kind != TokenKind::kString) {
          Expected(absl::StrCat(Describe(TokenKind::kString), " as the value of '", name.text,
                                "'"));
        }
        const size_t first = pos_;
        Next();
        property.text = StringsFrom(first);
      }
      return property;
    }
  }

  double ParseSignedNumber(absl::string_view context) {
    return Expect(TokenKind::kNumber, context).number;
  }

  ast::RuleDecl ParseRule(const Token& start) {
    ast::RuleDecl rule;
    rule.location = At(start);
    rule.id = std::string(ExpectName("a rule id").text);
    Expect(TokenKind::kColon, "after the rule id");
    ExpectWord("when", "to start the rule's condition");
    rule.condition = ParseOr();
    if (!IsWord(Peek(), "then")) {
      Expected("'and', 'or' or 'then' after the condition");
    }
    Next();
    const Token& conclusion = ExpectName("the conclusion's id after 'then'");
    rule.conclusion = std::string(conclusion.text);
    rule.conclusion_location = At(conclusion);
    if (IsWord(Peek(), "cf")) {
      Next();
      rule.cf_location = At(Peek());
      rule.cf = ParseSignedNumber("after 'cf' (a certainty factor in [-1, 1])");
    } else {
      rule.cf_location = rule.conclusion_location;
    }
    if (IsWord(Peek(), "because")) {
      Next();
      rule.because = ParseString("after 'because'");
    }
    rule.properties = ParseProperties("rule");
    return rule;
  }

  // Source text from token `first` to the token before pos_, whitespace collapsed.
  std::string TextFrom(size_t first) const {
    const Token& last = tokens_[pos_ - 1];
    absl::string_view raw =
        text_.substr(tokens_[first].offset, last.offset + last.text.size() - tokens_[first].offset);
    std::string out;
    out.reserve(raw.size());
    bool space = false;
    for (char c : raw) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
    return out;
  }

  std::unique_ptr<ast::Expr> Combine(ast::Expr::Kind kind, size_t first,
                                     std::unique_ptr<ast::Expr> head,
                                     absl::string_view word,
                                     std::unique_ptr<ast::Expr> (Parser::*operand)()) {
    if (!IsWord(Peek(), word)) return head;
    auto expr = std::make_unique<ast::Expr>();
    expr->kind = kind;
    expr->location = head->location;
    expr->children.reserve(2);  // most conditions join two
    expr->children.push_back(std::move(head));
    while (IsWord(Peek(), word)) {
      Next();
      expr->children.push_back((this->*operand)());
    }
    expr->text = TextFrom(first);
    return expr;
  }

  std::unique_ptr<ast::Expr> ParseOr() {
    size_t first = pos_;
    return Combine(ast::Expr::Kind::kOr, first, ParseAnd(), "or", &Parser::ParseAnd);
  }
  std::unique_ptr<ast::Expr> ParseAnd() {
    size_t first = pos_;
    return Combine(ast::Expr::Kind::kAnd, first, ParseUnary(), "and", &Parser::ParseUnary);
  }
  std::unique_ptr<ast::Expr> ParseUnary() {
    if (!IsWord(Peek(), "not")) return ParsePrimary();
    size_t first = pos_;
    auto expr = std::make_unique<ast::Expr>();
    expr->kind = ast::Expr::Kind::kNot;
    expr->location = At(Next());
    expr->children.push_back(ParseUnary());
    expr->text = TextFrom(first);
    return expr;
  }

  ast::Literal NumberLiteral(absl::string_view context) {
    const Token& token = Expect(TokenKind::kNumber, context);
    ast::Literal literal;
    literal.kind = ast::Literal::Kind::kNumber;
    literal.number = token.number;
    literal.text = std::string(token.text);
    literal.location = At(token);
    return literal;
  }

  std::unique_ptr<ast::Expr> ParsePrimary() {
    size_t first = pos_;
    auto expr = std::make_unique<ast::Expr>();
    const Token& start = Peek();
    expr->location = At(start);
    if (start.kind == TokenKind::kLeftParen) {
      Next();
      auto inner = ParseOr();
      Expect(TokenKind::kRightParen, "to close '('");
      inner->text = TextFrom(first);
      return inner;
    }
    if (IsWord(start, "known") || IsWord(start, "ramp")) {
      bool ramp = IsWord(start, "ramp");
      Next();
      Expect(TokenKind::kLeftParen, absl::StrCat("after '", ramp ? "ramp" : "known", "'"));
      const Token& subject = ExpectName("an indicator id");
      expr->subject = std::string(subject.text);
      expr->subject_location = At(subject);
      if (ramp) {
        expr->kind = ast::Expr::Kind::kRamp;
        Expect(TokenKind::kComma, "after the indicator in ramp(indicator, from, to)");
        expr->low = NumberLiteral("as the value where the ramp starts (degree 0)");
        Expect(TokenKind::kComma, "after the ramp's start value");
        expr->high = NumberLiteral("as the value where the ramp ends (degree 1)");
      } else {
        expr->kind = ast::Expr::Kind::kKnown;
      }
      Expect(TokenKind::kRightParen, "to close the argument list");
      expr->text = TextFrom(first);
      return expr;
    }
    const Token& subject = ExpectName("a condition (an indicator or conclusion id, 'not', "
                                      "'known(…)', 'ramp(…)' or '(')");
    expr->subject = std::string(subject.text);
    expr->subject_location = At(subject);
    const Token& next = Peek();
    switch (next.kind) {
      case TokenKind::kLess: expr->op = ast::CompareOp::kLess; break;
      case TokenKind::kLessEqual: expr->op = ast::CompareOp::kLessEqual; break;
      case TokenKind::kGreater: expr->op = ast::CompareOp::kGreater; break;
      case TokenKind::kGreaterEqual: expr->op = ast::CompareOp::kGreaterEqual; break;
      case TokenKind::kEqual: expr->op = ast::CompareOp::kEqual; break;
      case TokenKind::kNotEqual: expr->op = ast::CompareOp::kNotEqual; break;
      default:
        if (IsWord(next, "between")) {
          Next();
          expr->kind = ast::Expr::Kind::kBetween;
          expr->low = NumberLiteral("after 'between'");
          ExpectWord("and", "in 'between low and high'");
          expr->high = NumberLiteral("after 'between low and'");
        } else if (IsWord(next, "in")) {
          Next();
          expr->kind = ast::Expr::Kind::kIn;
          expr->words = ParseWordSet("set of values");
        } else {
          expr->kind = ast::Expr::Kind::kRef;
        }
        expr->text = TextFrom(first);
        return expr;
    }
    Next();
    expr->kind = ast::Expr::Kind::kCompare;
    const Token& value = Peek();
    ast::Literal& literal = expr->literal;
    literal.location = At(value);
    literal.text = std::string(value.text);
    if (value.kind == TokenKind::kNumber) {
      literal.kind = ast::Literal::Kind::kNumber;
      literal.number = value.number;
    } else if (IsWord(value, "true") || IsWord(value, "false")) {
      literal.kind = ast::Literal::Kind::kBool;
      literal.flag = IsWord(value, "true");
    } else if (value.kind == TokenKind::kIdentifier && !IsKeyword(value.text)) {
      literal.kind = ast::Literal::Kind::kWord;
      literal.word = std::string(value.text);
    } else {
      Expected(absl::StrCat("a number, true, false or a choice value after '",
                            ast::Spelling(expr->op), "'"));
    }
    Next();
    expr->text = TextFrom(first);
    return expr;
  }

  absl::string_view text_;
  const std::string& path_;
  const FileName file_name_;  // shared by every location made here
  Diagnostics& diagnostics_;
  const TokenizedText lexed_;
  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
};

}  // namespace

namespace ast {
const char* Spelling(CompareOp op) {
  switch (op) {
    case CompareOp::kLess: return "<";
    case CompareOp::kLessEqual: return "<=";
    case CompareOp::kGreater: return ">";
    case CompareOp::kGreaterEqual: return ">=";
    case CompareOp::kEqual: return "=";
    case CompareOp::kNotEqual: return "!=";
  }
  return "?";
}
}  // namespace ast

ast::File ParseRuleFile(absl::string_view text, const std::string& path,
                        Diagnostics& diagnostics) {
  return Parser(text, path, diagnostics).Run();
}

}  // namespace align::inference
