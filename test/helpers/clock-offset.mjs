// Preloaded (node --import) into a process that must run by another clock than the rest, as a host
// whose clock drifted would: Date.now is moved by CLOCK_OFFSET_MS (negative: behind). See cliWithClockOffset.
const offsetMs = Number(process.env.CLOCK_OFFSET_MS ?? 0);
const realNow = Date.now;
Date.now = () => realNow() + offsetMs;
