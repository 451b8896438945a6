// The microphone's level while recording: a Web Audio analyser on its stream, and the loudness arithmetic behind the meter.

/**
 * Input level as loudness: -60 dBFS (or silence) is 0, full scale is 1.
 * @param {Float32Array} samples
 */
export function loudness(samples) {
  if (!samples.length) return 0;
  let sum = 0;
  for (const x of samples) sum += x * x;
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
}

/**
 * The meter's next reading: it rises at once and falls back gently while sound goes on.
 * @param {number} shown the level shown now
 * @param {number} measured the latest loudness
 */
export function nextLevel(shown, measured) {
  const level = Math.max(measured, shown * 0.6);
  return level < 0.01 ? 0 : level;
}

/**
 * An AudioContext made without a user gesture may stay suspended (Safari; Chrome on a page nobody
 * has clicked yet): a recording started from Python would show no level until the next click or
 * key press on the page, which resumes it.
 * @param {{state: string, resume: () => Promise<void>}} context
 * @param {EventTarget} target the page's document
 * @returns {() => void} stops waiting for a gesture
 */
export function wakeOnGesture(context, target) {
  const events = ["pointerdown", "keydown"];
  const stop = () => {
    for (const event of events) target.removeEventListener(event, wake, { capture: true });
  };
  const wake = () => {
    context.resume().then(
      () => {
        if (context.state !== "suspended") stop();
      },
      () => {},
    );
  };
  for (const event of events) target.addEventListener(event, wake, { capture: true });
  return stop;
}

/** The microphone's level while recording, read from a Web Audio analyser on its stream. */
export class LevelMeter {
  /**
   * @param {MediaStream} microphone
   * @returns {LevelMeter | null} null where Web Audio is missing or refuses the stream
   */
  static open(microphone) {
    const AudioContextClass = window.AudioContext ?? /** @type {{webkitAudioContext?: typeof AudioContext}} */ (window).webkitAudioContext;
    if (!AudioContextClass) return null;
    try {
      const context = new AudioContextClass();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(microphone).connect(analyser);
      const meter = new LevelMeter(context, analyser);
      if (context.state === "suspended") meter.stopWaking = wakeOnGesture(context, document);
      void context.resume().catch(() => {});
      return meter;
    } catch (err) {
      console.warn("[live-transcriber] no level meter", err);
      return null;
    }
  }

  /**
   * @param {AudioContext} context
   * @param {AnalyserNode} analyser
   */
  constructor(context, analyser) {
    this.context = context;
    this.analyser = analyser;
    this.samples = new Float32Array(analyser.fftSize);
    /** 0 to 1. */
    this.level = 0;
    this.stopWaking = () => {};
  }

  /** Whether the browser holds the audio processing back until a click or key press on the page. */
  get asleep() {
    return this.context.state === "suspended";
  }

  /** @param {boolean} paused a paused recorder hears nothing: the level drops to 0 at once */
  update(paused) {
    if (paused) {
      this.level = 0;
      return;
    }
    this.analyser.getFloatTimeDomainData(this.samples);
    this.level = nextLevel(this.level, loudness(this.samples));
  }

  close() {
    this.level = 0;
    this.stopWaking();
    void this.context.close().catch(() => {});
  }
}
