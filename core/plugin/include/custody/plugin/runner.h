// The entry point of custody-runner, the process that hosts one plugin out of process on
// behalf of the plugin host (see core/plugin/supervisor.h). Not for use by hand.
#pragma once

namespace custody::plugin {

// argv: --fd N --plugin PATH --id ID. Returns the process exit status.
int runner_main(int argc, char** argv);

}  // namespace custody::plugin
