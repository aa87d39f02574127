// Fuzz target: any bytes as an assessment must parse or give an error, never crash; a parsed
// assessment must diagnose against the standard rule base.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "inference/engine.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/loader.h"

namespace {

const align::inference::Engine* StandardEngine() {
  static const auto* engine = [] {
    auto rule_base = align::inference::LoadRuleBase(ALIGN_SOURCE_DIR "/rules");
    return rule_base.ok() ? new align::inference::Engine(*rule_base) : nullptr;
  }();
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace align::inference;
  std::string text(reinterpret_cast<const char*>(data), size);
  const Engine* engine = StandardEngine();
  auto assessment =
      ParseAssessment(text, "fuzz.yaml", engine ? &engine->rule_base().schema() : nullptr);
  if (assessment.ok() && engine != nullptr) (void)engine->Diagnose(*assessment);
  return 0;
}
