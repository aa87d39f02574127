#include "inference/util/suggest.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace align::inference {
namespace {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

absl::string_view LastPart(absl::string_view id) {
  size_t dot = id.rfind('.');
  return dot == absl::string_view::npos ? id : id.substr(dot + 1);
}

}  // namespace

std::vector<std::string> ClosestNames(absl::string_view word,
                                      const std::vector<absl::string_view>& candidates,
                                      size_t max_results) {
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::vector<std::pair<size_t, absl::string_view>> scored;
  for (absl::string_view candidate : candidates) {
    size_t distance = EditDistance(word, candidate);
    if (distance <= limit || LastPart(candidate) == LastPart(word)) {
      scored.emplace_back(distance, candidate);
    }
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> result;
  for (size_t i = 0; i < scored.size() && i < max_results; ++i) {
    result.emplace_back(scored[i].second);
  }
  return result;
}

#ifndef ABSL_USES_STD_STRING_VIEW
std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string_view>& candidates,
                                      size_t max_results) {
  std::vector<absl::string_view> converted;
  converted.reserve(candidates.size());
  for (std::string_view c : candidates) converted.emplace_back(c.data(), c.size());
  return ClosestNames(absl::string_view(word.data(), word.size()), converted, max_results);
}
#endif

std::string DidYouMean(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  std::string out = "; did you mean ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) absl::StrAppend(&out, i + 1 == names.size() ? " or " : ", ");
    absl::StrAppend(&out, "'", names[i], "'");
  }
  absl::StrAppend(&out, "?");
  return out;
}

}  // namespace align::inference
