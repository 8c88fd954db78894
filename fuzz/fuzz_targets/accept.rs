#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The server contains panics raised inside Automerge on hostile bytes (it refuses
        // the upload and goes on), so those are not crashes. Any other panic — in Onsite's
        // own code, or an assertion of this target — still aborts and is reported.
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_automerge = info
                .location()
                .is_some_and(|l| l.file().contains("automerge-"));
            if !in_automerge {
                abort_hook(info);
            }
        }));
    },
    |data: &[u8]| onsite_fuzz::accept::run(data)
);
