import { describe, expect, it } from 'vitest';
import { Redactor } from './redactor.js';

function redactorOf(...secrets: string[]): Redactor {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor;
}

describe('Redactor: a secret that is an ordinary word', () => {
  const redactor = redactorOf('shop');

  it.each([
    ['job shop-db finished', 'job shop-db finished'],
    ['job db-shop finished', 'job db-shop finished'],
    ['job shop.db and shop_2', 'job shop.db and shop_2'],
    ['shopping at the workshop', 'shopping at the workshop'],
    ['Shop is not shop', 'Shop is not ***'],
  ])('leaves it alone inside other words: %j', (text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });

  it.each([
    ['postgres://app:shop@db.example:5432/app', 'postgres://app:***@db.example:5432/app'],
    ['mysql://app:shop@127.0.0.1/x', 'mysql://app:***@127.0.0.1/x'],
    ['PGPASSWORD=shop', 'PGPASSWORD=***'],
    ['password=shop;host=x', 'password=***;host=x'],
    ['"password":"shop"', '"password":"***"'],
    ["password 'shop' rejected", "password '***' rejected"],
    ['the password is shop.', 'the password is ***.'],
    ['the password is shop-', 'the password is ***-'],
    ['shop', '***'],
    ['shop\nshop', '***\n***'],
    ['(shop), [shop] <shop> shop/shop', '(***), [***] <***> ***/***'],
    ['tab\tshop\t', 'tab\t***\t'],
  ])('replaces it where it is a whole value: %j', (text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });
});

describe('Redactor: secrets with punctuation, and several secrets', () => {
  it('replaces a secret whose own edges are not letters wherever it appears', () => {
    const redactor = redactorOf('p@ss:w/rd!', '-hidden-');
    expect(redactor.redact('x:p@ss:w/rd!@h and a-hidden-b')).toBe('x:***@h and a***b');
  });

  it('replaces the longest first, so a secret containing another goes whole', () => {
    const redactor = redactorOf('hunter2', 'hunter2-longer', 'ab');
    expect(redactor.redact('pw=hunter2-longer, old=hunter2, ab')).toBe('pw=***, old=***, ab');
  });

  it('finds a whole occurrence after one inside a word', () => {
    expect(redactorOf('abc').redact('abcabc abc')).toBe('abcabc ***');
    expect(redactorOf('aa').redact('aaa')).toBe('aaa');
    expect(redactorOf('aaa').redact('aaa aaaa aaa')).toBe('*** aaaa ***');
  });

  it('treats letters of any script as part of a word', () => {
    expect(redactorOf('café').redact('cafés, café')).toBe('cafés, ***');
  });
});
