// Unit tests of js/view/final-text.js (final words on screen), on a stand-in for the few DOM calls it makes: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ResultStore } from "../../js/results.js";
import { FinalText } from "../../js/view/final-text.js";
import { result } from "./fixtures.mjs";

/** An element with what FinalText uses: children, attributes, classes and the text it adds up to. */
class Node {
  /** @param {FakeDocument} doc */
  constructor(doc) {
    this.ownerDocument = doc;
    /** @type {(Node | string)[]} */
    this.children = [];
    this.className = "";
    /** @type {Record<string, string>} */
    this.attributes = {};
    this.classList = { add: (/** @type {string} */ name) => { this.className += ` ${name}`; } };
  }

  /** @param {(Node | string)[]} nodes */
  append(...nodes) {
    this.children.push(...nodes);
  }

  replaceChildren() {
    this.children = [];
  }

  /** @param {string} name @param {string} value */
  setAttribute(name, value) {
    this.attributes[name] = value;
  }

  /** @returns {string} */
  get textContent() {
    return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }

  /** @param {string} text */
  set textContent(text) {
    this.children = [text];
  }
}

class FakeDocument {
  createElement() {
    return new Node(this);
  }
}

/** @param {string} text @param {number} start @param {boolean} [attached] */
function word(text, start, attached) {
  return { word: text.toLowerCase(), punctuated_word: text, start, end: start + 0.3, confidence: 0.9, ...(attached ? { attached } : {}) };
}

/** What the transcript reads, given these results. @param {import("../../js/model.js").FinalResult[]} results */
function shown(results) {
  const container = new Node(new FakeDocument());
  const store = new ResultStore();
  store.reset(results);
  // @ts-ignore: the stand-in has what FinalText uses of an HTMLSpanElement
  new FinalText(container).update(store, { names: {}, threshold: null });
  return container.textContent;
}

describe("FinalText", () => {
  test("words are spaced, except one that goes on from the word before", () => {
    const words = [word("The", 0), word("cold", 0.3), word("-hearted", 0.6, true), word("man.", 0.9)];
    assert.equal(shown([result(0, 0, { text: "The cold-hearted man.", words })]), "The cold-hearted man.");
  });

  test("a result that goes on inside a word follows the one before without a space", () => {
    const first = result(0, 0, { text: "The cold", words: [word("The", 0), word("cold", 0.3)] });
    const second = result(1, 0, { text: "-hearted man.", words: [word("-hearted", 0.6, true), word("man.", 0.9)] });
    const third = result(2, 0, { text: "He left.", words: [word("He", 1.2), word("left.", 1.5)] });
    assert.equal(shown([first, second, third]), "The cold-hearted man. He left.");
  });

  test("each utterance is a block of its own, on its own line", () => {
    const one = result(0, 0, { text: "Hello.", words: [word("Hello.", 0)] });
    const two = result(1, 1, { text: "Bye.", words: [word("Bye.", 3)] });
    assert.equal(shown([one, two]), "Hello.\nBye.");
  });
});
