#include "absl/strings/string_view.h"
#include "inference/lang/lexer.h"

#include <cctype>
#include <charconv>
#include <deque>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "inference/util/utf8.h"

namespace align::inference {
namespace {

// ASCII only, whatever the locale: identifiers and numbers are ASCII in the language.
bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

class Lexer {
 public:
  Lexer(absl::string_view text, std::deque<std::string>& unescaped, const FileName& file,
        Diagnostics& diagnostics)
      : text_(text), unescaped_(unescaped), file_(file), diagnostics_(diagnostics) {}

  void Run(std::vector<Token>& tokens) {
    tokens.reserve(text_.size() / 8 + 1);  // rule files run to about one token per 8 bytes
    int last_line = 0;
    while (true) {
      SkipSpaceAndComments();
      Token token;
      token.line = line_;
      token.column = column_;
      token.offset = pos_;
      token.starts_line = column_ == 1 && line_ != last_line;
      if (pos_ >= text_.size()) {
        token.kind = TokenKind::kEnd;
        tokens.push_back(token);
        return;
      }
      if (!LexOne(token)) continue;
      last_line = token.line;
      token.text = text_.substr(token.offset, pos_ - token.offset);
      tokens.push_back(token);
    }
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
  // Advances over `count` characters known to hold no line break.
  void AdvanceInLine(size_t count) {
    pos_ += count;
    column_ += static_cast<int>(count);
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = Peek();
      if (c == '#') {
        size_t end = text_.find('\n', pos_);
        AdvanceInLine((end == absl::string_view::npos ? text_.size() : end) - pos_);
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        Advance();
      } else {
        return;
      }
    }
  }

  void Error(int line, int column, std::string message) {
    diagnostics_.Error({file_, line, column}, "syntax", std::move(message));
  }

  // Lexes one token starting at pos_; returns false when it only reported an error.
  bool LexOne(Token& token) {
    char c = Peek();
    if (IsIdentStart(c)) {
      LexIdentifier();
      token.kind = TokenKind::kIdentifier;
      return true;
    }
    if (IsDigit(c) || ((c == '-' || c == '+') && (IsDigit(Peek(1)) || Peek(1) == '.')) ||
        (c == '.' && IsDigit(Peek(1)))) {
      return LexNumber(token);
    }
    if (c == '"') return LexString(token);
    Advance();
    switch (c) {
      case ':': token.kind = TokenKind::kColon; return true;
      case ',': token.kind = TokenKind::kComma; return true;
      case '(': token.kind = TokenKind::kLeftParen; return true;
      case ')': token.kind = TokenKind::kRightParen; return true;
      case '{': token.kind = TokenKind::kLeftBrace; return true;
      case '}': token.kind = TokenKind::kRightBrace; return true;
      case '.':
        if (Peek() == '.') {
          Advance();
          token.kind = TokenKind::kDotDot;
          return true;
        }
        break;
      case '<':
        if (Peek() == '=') {
          Advance();
          token.kind = TokenKind::kLessEqual;
        } else {
          token.kind = TokenKind::kLess;
        }
        return true;
      case '>':
        if (Peek() == '=') {
          Advance();
          token.kind = TokenKind::kGreaterEqual;
        } else {
          token.kind = TokenKind::kGreater;
        }
        return true;
      case '=':
        if (Peek() == '=') Advance();  // accept '==' as '='
        token.kind = TokenKind::kEqual;
        return true;
      case '!':
        if (Peek() == '=') {
          Advance();
          token.kind = TokenKind::kNotEqual;
          return true;
        }
        break;
      default:
        break;
    }
    std::string shown = std::isprint(static_cast<unsigned char>(c))
                            ? absl::StrCat("'", std::string(1, c), "'")
                            : absl::StrFormat("byte 0x%02x", static_cast<unsigned char>(c));
    Error(token.line, token.column, absl::StrCat("unexpected character ", shown));
    return false;
  }

  void LexIdentifier() {
    while (true) {
      size_t end = pos_;
      while (end < text_.size() && IsIdentChar(text_[end])) ++end;
      AdvanceInLine(end - pos_);
      // A dot continues the identifier only when a word follows it ('..' is a range).
      if (Peek() == '.' && IsIdentStart(Peek(1))) {
        Advance();
        continue;
      }
      return;
    }
  }

  bool LexNumber(Token& token) {
    size_t start = pos_;
    if (Peek() == '-' || Peek() == '+') Advance();
    while (IsDigit(Peek())) Advance();
    // A '.' followed by a digit is a fraction; '..' is a range operator.
    if (Peek() == '.' && IsDigit(Peek(1))) {
      Advance();
      while (IsDigit(Peek())) Advance();
    }
    absl::string_view digits = text_.substr(start, pos_ - start);
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    double value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size()) {
      Error(token.line, token.column,
            absl::StrCat("malformed number '", std::string(text_.substr(start, pos_ - start)), "'"));
      return false;
    }
    // A unit after a number ("85%", "30days") is reported once; the number is kept so that
    // the parser does not add errors of its own after it.
    if (IsIdentStart(Peek()) || Peek() == '%') {
      size_t suffix_start = pos_;
      if (Peek() == '%') {
        Advance();
      } else {
        while (IsIdentChar(Peek())) Advance();
      }
      Error(token.line, token.column,
            absl::StrCat("unexpected '", std::string(text_.substr(suffix_start, pos_ - suffix_start)),
                         "' after number ", std::string(text_.substr(start, suffix_start - start)),
                         "; numbers take no unit"));
    }
    token.kind = TokenKind::kNumber;
    token.number = value;
    return true;
  }

  bool LexString(Token& token) {
    Advance();  // opening quote
    const size_t start = pos_;
    size_t content_end = pos_;
    // Until the first escape the content is the source text itself and needs no copy.
    std::string* unescaped = nullptr;
    while (true) {
      if (pos_ >= text_.size() || Peek() == '\n') {
        // Keep what was read, so that the parser goes on as if the string were closed.
        Error(token.line, token.column, "unterminated string; close it with '\"' on the same line");
        content_end = pos_;
        break;
      }
      // Plain characters up to the next quote, backslash or line end go in at once.
      size_t end = pos_;
      while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
             text_[end] != '\n') {
        ++end;
      }
      if (end != pos_) {
        if (unescaped != nullptr) unescaped->append(text_.data() + pos_, end - pos_);
        AdvanceInLine(end - pos_);
        continue;
      }
      content_end = pos_;
      char c = Peek();
      Advance();
      if (c == '"') break;
      // A backslash.
      if (unescaped == nullptr) {
        unescaped = &unescaped_.emplace_back(text_.substr(start, content_end - start));
      }
      char escaped = Peek();
      if (escaped == '"' || escaped == '\\') {
        unescaped->push_back(escaped);
        Advance();
      } else if (escaped == 'n') {
        unescaped->push_back('\n');
        Advance();
      } else {
        Error(line_, column_ - 1, "unknown escape in string; use \\\" or \\\\ or \\n");
      }
    }
    token.kind = TokenKind::kString;
    token.value = unescaped != nullptr ? absl::string_view(*unescaped)
                                       : text_.substr(start, content_end - start);
    // Strings end up in answers, and the API's strings must be UTF-8.
    if (!IsValidUtf8(token.value)) {
      Error(token.line, token.column, "string is not valid UTF-8; save the rule file as UTF-8");
    }
    return true;
  }

  absl::string_view text_;
  std::deque<std::string>& unescaped_;
  const FileName& file_;
  Diagnostics& diagnostics_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

absl::string_view Describe(TokenKind kind) {
  switch (kind) {
    case TokenKind::kIdentifier: return "an identifier";
    case TokenKind::kNumber: return "a number";
    case TokenKind::kString: return "a string";
    case TokenKind::kColon: return "':'";
    case TokenKind::kComma: return "','";
    case TokenKind::kLeftParen: return "'('";
    case TokenKind::kRightParen: return "')'";
    case TokenKind::kLeftBrace: return "'{'";
    case TokenKind::kRightBrace: return "'}'";
    case TokenKind::kDotDot: return "'..'";
    case TokenKind::kLess: return "'<'";
    case TokenKind::kLessEqual: return "'<='";
    case TokenKind::kGreater: return "'>'";
    case TokenKind::kGreaterEqual: return "'>='";
    case TokenKind::kEqual: return "'='";
    case TokenKind::kNotEqual: return "'!='";
    case TokenKind::kEnd: return "end of file";
  }
  return "?";
}

TokenizedText Tokenize(absl::string_view text, const FileName& file, Diagnostics& diagnostics) {
  TokenizedText result;
  Lexer(text, result.unescaped, file, diagnostics).Run(result.tokens);
  return result;
}

}  // namespace align::inference
