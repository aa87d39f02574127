// alignctl's commands, as a library so that tests can run them without a process.
#ifndef ALIGN_CLIENTS_CLI_H_
#define ALIGN_CLIENTS_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace align::clients {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // bad input, lint errors, unknown node
inline constexpr int kExitUsage = 2;    // bad command line

// Runs `alignctl <args…>` (args exclude the program name). Results go to `out`, messages
// to `err`; returns the exit code.
int RunAlignctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace align::clients

#endif  // ALIGN_CLIENTS_CLI_H_
