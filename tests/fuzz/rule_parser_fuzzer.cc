// Fuzz target: any bytes as a rule file must compile or give diagnostics, never crash; a rule
// base that compiles must diagnose an empty assessment.
#include <cstddef>
#include <cstdint>
#include <string>

#include "inference/engine.h"
#include "inference/rulebase/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace align::inference;
  std::string text(reinterpret_cast<const char*>(data), size);
  CompileResult result = CompileRuleBase({{"fuzz.rules", text}});
  (void)result.diagnostics.Format();
  if (result.rule_base != nullptr) {
    Engine engine(result.rule_base);
    (void)engine.Diagnose(align::proto::Assessment());
  }
  return 0;
}
