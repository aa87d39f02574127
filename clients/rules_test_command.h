// `alignctl rules test DIR`: runs a rule base's scenario tests and reports their coverage.
#ifndef ALIGN_CLIENTS_RULES_TEST_COMMAND_H_
#define ALIGN_CLIENTS_RULES_TEST_COMMAND_H_

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace align::clients {

// Runs `alignctl rules test DIR [--scenarios PATH] [--coverage-threshold N] [--format text|json]`
// with the engine in this process. `positional` is the whole command ("rules", "test", DIR);
// scenarios default to DIR/tests (every *.yaml and *.yml under it). Prints one PASS or FAIL line
// per scenario (a table's rows count one each), every failure with its expected and actual value
// and the HOW / WHY-NOT of the node concerned, a summary and the coverage report.
// Returns kExitOk when every scenario passes and rule coverage is at least N percent;
// kExitFailure for a failed scenario, a broken scenario file, coverage below N, or a rule base
// that does not load; kExitUsage for a bad command line.
int RunRulesTest(const std::vector<std::string>& positional,
                 const std::map<std::string, std::string>& values,
                 const std::set<std::string>& switches, std::ostream& out, std::ostream& err);

}  // namespace align::clients

#endif  // ALIGN_CLIENTS_RULES_TEST_COMMAND_H_
