// The widget's model as this front end reads it: the synced traits of widget.py's LiveTranscriber, and the results, words and bookmarks in them (JSDoc types only).

/** @typedef {import("./vocabulary.js").Status} Status */

/**
 * A final result as the kernel sends it (the fields the page uses).
 * @typedef {object} FinalResult
 * @property {number} index          its place in the transcript, from 0
 * @property {string} text
 * @property {number} start
 * @property {number} end
 * @property {boolean} [speech_final] the last result of its utterance
 * @property {number} utterance      results with the same number form one utterance
 * @property {number | null} speaker the utterance's speaker (0, 1, …), null when not told apart
 * @property {number} [recording] its recording (an index into the kernel's `recordings`)
 * @property {Word[]} [words]
 * @property {boolean} [edited]      a person corrected it...
 * @property {{text: string, words?: Word[]}} [original] ...and this is what the engine heard
 */

/**
 * A word of a final result. Times are seconds on the transcript's timeline.
 * @typedef {object} Word
 * @property {string} word
 * @property {number} start
 * @property {number} [end]
 * @property {number} [confidence]
 * @property {string} [punctuated_word]
 * @property {boolean} [attached]  goes on from the word before, with no space ("cold" "-hearted")
 */

/**
 * A bookmark (the `bookmarks` trait).
 * @typedef {object} Bookmark
 * @property {number} time       on the transcript's timeline
 * @property {string} label
 * @property {number | null} recording
 */

/**
 * The synced traits the page reads (see widget.py). The kernel sets them all but `keyterms`
 * (both ways: the page sets it from its field, the kernel tidies it), `recording` (both ways: the
 * page that records reports it, Python's changes come as messages too) and `revision`.
 * @typedef {object} ModelState
 * @property {Status} status
 * @property {string} status_detail             shown beside the status (e.g. "attempt 2 of 5"), may be empty
 * @property {string} error
 * @property {string} transcript
 * @property {string} interim
 * @property {string} engine_label
 * @property {string} engine_reason
 * @property {string} engine_notice
 * @property {FinalResult[]} results            the latest final results: views append the ones they have not shown
 * @property {Record<string, string>} speakers   speaker names, by speaker number
 * @property {Bookmark[]} bookmarks
 * @property {boolean} keep_audio               false: nothing to play back
 * @property {number | null} confidence_threshold words below it are marked; null: none
 * @property {Partial<Identity>} _identity
 * @property {number | null} revision           counted up by the page on every change of transcript, status or
 *   error where the kernel set it to a number (marimo re-runs the cells that read a widget only when the page
 *   changes one of its traits); null elsewhere, and then never written
 * @property {string[]} keyterms
 * @property {boolean} keyterms_supported       whether the engine uses keyterms
 * @property {boolean} recording                whether the page records (paused included) or asks for the microphone
 * @property {string} journal_home              the folder the journal goes under; "" when there is none
 * @property {string} keep_journals             how long finished journals are kept there, as a sentence
 */

/**
 * Who records: the `_identity` trait.
 * @typedef {object} Identity
 * @property {string} widget  a random id of the widget
 * @property {string} process a random id of the kernel process
 * @property {string} kernel  the Jupyter kernel id ("" when unknown), which a restart keeps
 */

/** @typedef {import("@anywidget/types").AnyModel<ModelState>} Model */

export {};
