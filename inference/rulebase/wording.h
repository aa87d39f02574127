// How a leaf condition reads in sentences, in the rule base's own titles and units: worked out
// once, when the rule base is compiled, since every explanation of the rule repeats it.
#ifndef ALIGN_INFERENCE_RULEBASE_WORDING_H_
#define ALIGN_INFERENCE_RULEBASE_WORDING_H_

#include <string>

#include "inference/rulebase/rule_base.h"

namespace align::inference {

// What the leaf `op` (reading `node`) asks for: "unplanned work above 50%".
std::string LeafWording(const NodeInfo& node, const Op& op);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_RULEBASE_WORDING_H_
