// Splits rule text into tokens. Dotted identifiers (`capacity.utilisation`) are one token.
#ifndef ALIGN_INFERENCE_LANG_LEXER_H_
#define ALIGN_INFERENCE_LANG_LEXER_H_

#include "absl/strings/string_view.h"
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "inference/lang/diagnostics.h"

namespace align::inference {

enum class TokenKind {
  kIdentifier,
  kNumber,
  kString,
  kColon,
  kComma,
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kDotDot,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kEnd,
};

// What a token kind looks like in a message: "':'", "a number", "end of file".
absl::string_view Describe(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEnd;
  absl::string_view text;   // the source characters
  absl::string_view value;  // strings: unescaped content
  double number = 0;
  int line = 1;
  int column = 1;
  size_t offset = 0;     // byte offset of the first character in the file
  bool starts_line = false;  // first token on its line, in column 1
};

// The tokens of a text. They view the text and `unescaped`, which must outlive them.
// Move-only: a copy's tokens would still view the original's `unescaped`.
struct TokenizedText {
  TokenizedText() = default;
  TokenizedText(TokenizedText&&) = default;
  TokenizedText& operator=(TokenizedText&&) = default;
  TokenizedText(const TokenizedText&) = delete;
  TokenizedText& operator=(const TokenizedText&) = delete;

  std::vector<Token> tokens;
  // The content of each string with an escape in it; other strings' values view the text.
  std::deque<std::string> unescaped;
};

// Tokenises `text`; lexical problems (stray characters, unterminated strings) go to
// `diagnostics` with `file` as the location, and lexing continues after them.
TokenizedText Tokenize(absl::string_view text, const FileName& file, Diagnostics& diagnostics);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_LANG_LEXER_H_
