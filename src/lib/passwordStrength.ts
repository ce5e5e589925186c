import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { translations } from '@zxcvbn-ts/language-en';
import { isBreachedPassword } from './breachedPasswords';

/**
 * zxcvbn's score: 0 and 1 mean fewer than a million guesses by a model built from ~49,000 common
 * passwords (from breaches) and the patterns people use to vary them (l33t, capitals, appended
 * digits and years, repeats, sequences, keyboard walks). Such passwords are refused (ASVS 6.2.4).
 */
const MIN_SCORE = 2;

let estimator: ZxcvbnFactory | undefined;

/** Built on first use: the dictionaries take ~20 MB and a few hundred ms to load. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, translations });
  return estimator;
}

/**
 * Why a new password is too easy to guess (it is on the list of breached passwords, or zxcvbn
 * scores it low, then with zxcvbn's hint), or undefined when it is fine.
 * `related` are words an attacker would try for this account (the email and its parts).
 */
export function passwordWeakness(password: string, related: string[] = []): string | undefined {
  if (isBreachedPassword(password)) {
    return 'This password is too common or too easy to guess. It is on a list of passwords leaked from other sites, which attackers try first.';
  }
  const result = zxcvbn().check(password, related);
  if (result.score >= MIN_SCORE) return undefined;
  const hint = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
  return `This password is too common or too easy to guess. ${hint || 'Try a few unrelated words.'}`.trim();
}

/** The words of a name (the shop's): the whole name, its words, and the words run together. */
export function wordsOfName(name: string): string[] {
  const words = name
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 3);
  return [name.toLowerCase(), ...words, words.join('')];
}

/** The words of an email that belong to the account: the whole address, its name and domain parts. */
export function wordsOfEmail(email: unknown): string[] {
  if (typeof email !== 'string' || email === '') return [];
  return [
    email,
    ...email
      .toLowerCase()
      .split(/[@.+_-]+/)
      .filter((part) => part.length >= 3),
  ];
}
