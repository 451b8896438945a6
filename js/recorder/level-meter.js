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
      void context.resume().catch(() => {});
      return new LevelMeter(context, analyser);
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
    void this.context.close().catch(() => {});
  }
}
