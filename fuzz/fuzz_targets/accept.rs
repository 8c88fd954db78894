#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The server contains panics that its dependencies (Automerge above all) raise on
        // hostile bytes: it refuses the upload and goes on, so those are not crashes. A
        // panic in Onsite's own code, or an assertion of this target, still aborts and is
        // reported; so does any panic the server fails to contain, when it unwinds out of
        // the fuzzer's entry point.
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_dependency = info
                .location()
                .is_some_and(|l| l.file().contains("/registry/src/"));
            if !in_dependency {
                abort_hook(info);
            }
        }));
    },
    |data: &[u8]| onsite_fuzz::accept::run(data)
);
