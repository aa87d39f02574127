// Golden cases for `alignctl rules lint`: each folder under tests/golden/lint/ holds a small
// broken rule base (rules.rules) and the exact output expected (expected.txt), one folder per
// check. Paths in the output are relative to tests/golden/lint/.
//
// To record after a deliberate change: ALIGN_UPDATE_GOLDEN=1 ctest -R LintGolden, then review.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "clients/cli.h"
#include "gtest/gtest.h"

namespace align::clients {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(ALIGN_SOURCE_DIR) / "tests/golden/lint";

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kCases)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class LintGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(LintGolden, OutputMatchesExactly) {
  std::ostringstream out, err;
  int code = RunAlignctl({"rules", "lint", (kCases / GetParam()).string()}, out, err);
  std::string actual = absl::StrCat(
      absl::StrReplaceAll(out.str() + err.str(), {{kCases.string() + "/", ""}}), "exit ", code,
      "\n");
  fs::path golden = kCases / GetParam() / "expected.txt";
  if (std::getenv("ALIGN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << actual;
    GTEST_SKIP() << "recorded " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << "no " << golden << "; record with ALIGN_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str());
}

INSTANTIATE_TEST_SUITE_P(Cases, LintGolden, ::testing::ValuesIn(CaseNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(LintGolden, EveryCheckHasACase) {
  for (const char* check : {"never-true", "always-true", "duplicate-rule", "conflicting-rules",
                            "shadowed-rule", "unread-indicator", "missing-metadata"}) {
    EXPECT_TRUE(fs::exists(kCases / check)) << check;
  }
}

}  // namespace
}  // namespace align::clients
