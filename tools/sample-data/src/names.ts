import type { Rng } from './rng.js';

/**
 * Name pools. About a fifth carry accents (José, Zoë, Müller, Łukasz…) so UTF-8 handling matters
 * downstream; most accented ones fit in Latin-1, which the `latin1_text` defect relies on.
 */
export const FIRST_NAMES = [
  'Ana', 'José', 'Zoë', 'Maya', 'Liam', 'Olivia', 'Noah', 'Emma', 'Ava', 'Ethan', 'Sophia', 'Lucas', 'Mia', 'Mateo',
  'Isabella', 'Elijah', 'Amelia', 'James', 'Harper', 'Benjamin', 'Evelyn', 'Henry', 'Abigail', 'Alexander', 'Emily',
  'Daniel', 'Ella', 'Michael', 'Chloe', 'Samuel', 'Grace', 'David', 'Aria', 'Joseph', 'Nora', 'Carter', 'Lily', 'Owen',
  'Hannah', 'Wyatt', 'Layla', 'Jack', 'Zoey', 'Luke', 'Riley', 'Jayden', 'Victoria', 'Gabriel', 'Stella', 'Julian',
  'Aaliyah', 'Isaac', 'Priya', 'Arjun', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Ji-woo', 'Min-jun', 'Fatima', 'Omar', 'Aisha',
  'Kwame', 'Amara', 'Chidi', 'Sean', 'Siobhan', 'Niamh', 'Connor', 'Sakura', 'Dmitri', 'Olga', 'Ivan', 'Anya', 'Marcus',
  'Jasmine', 'Tyrone', 'Keisha', 'DeShawn', 'Nadia', 'Leila', 'Rashid', 'Tariq', 'Sven', 'Ingrid', 'Lars', 'Freya',
  'Renée', 'Chloé', 'Hélène', 'Noémie', 'Andrés', 'Sofía', 'Inés', 'Raúl', 'Ramón', 'Nicolás', 'Lucía', 'Martín',
  'Jürgen', 'Björn', 'Søren', 'Åsa', 'Maëlle', 'François', 'Joël', 'Anaïs', 'Céline', 'Zoé', 'Élodie', 'Íñigo', 'João',
  'Conceição', 'Łukasz', 'Małgorzata', 'Jiří', 'Tomáš', 'Ştefan', 'Ömer', 'Gökhan', 'Mária',
] as const;

export const LAST_NAMES = [
  'Díaz', 'Müller', 'Chen', 'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez',
  'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright',
  'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell', 'Mitchell', 'Roberts', 'Carter', 'Phillips', 'Evans',
  'Turner', 'Parker', 'Collins', 'Edwards', 'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Patel', 'Shah', 'Singh',
  'Kim', 'Park', 'Nguyen', 'Tran', 'Wang', 'Li', 'Zhang', 'Tanaka', 'Sato', 'Okafor', 'Mensah', 'Adeyemi', 'Kowalski',
  'Novak', 'Ivanova', 'Petrov', "O'Brien", "O'Connor", "D'Angelo", 'Smith-Jones', 'McAllister', 'MacDonald', 'Fitzgerald',
  'Rossi', 'Bianchi', 'Ferrari', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Andersson', 'Johansson', 'Larsen',
  'García', 'Pérez', 'Sánchez', 'Gómez', 'Rodríguez', 'Fernández', 'Martínez', 'Muñoz', 'Peña', 'Ibáñez', 'Núñez',
  'Castaño', 'García-López', 'Gonçalves', 'Conceição', 'Lefèvre', 'Dupré', 'Béranger', 'Côté', 'Gagné', 'Bélanger',
  'Jäger', 'Schäfer', 'Köhler', 'Größer', 'Weiß', 'Møller', 'Sørensen', 'Ångström', 'Öberg', 'Nyström', 'Brontë',
  'Kowalczyk', 'Wiśniewski', 'Dvořáková', 'Novák', 'Horváth', 'Çelik', 'Yılmaz', 'Öztürk',
] as const;

/** Instructors get the same pools; studios like a memorable first name. */
export function personName(rng: Rng): { first: string; last: string } {
  return { first: rng.pick(FIRST_NAMES), last: rng.pick(LAST_NAMES) };
}

const FOLD: Record<string, string> = { ß: 'ss', ø: 'o', Ø: 'o', æ: 'ae', Æ: 'ae', ł: 'l', Ł: 'l', đ: 'd', ı: 'i', å: 'a', Å: 'a' };

/** ASCII slug for the local part of an email: José Müller → jose, muller. */
export function asciiFold(text: string): string {
  return text
    .replace(/[ßøØæÆłŁđıåÅ]/g, (c) => FOLD[c] ?? c)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
}

/** Reserved example domains: plausible addresses that can never reach a real inbox. */
const DOMAINS = ['example.com', 'example.com', 'example.com', 'example.net', 'example.org', 'mail.example.com', 'post.example.net'] as const;

/** Unique, plausible addresses: first.last@, flast87@, first_last@ …, numbered on collision. */
export class EmailBook {
  private readonly used = new Set<string>();

  make(rng: Rng, first: string, last: string, birthYear: number | undefined): string {
    const f = asciiFold(first) || 'member';
    const l = asciiFold(last) || 'member';
    const yy = birthYear === undefined ? String(rng.int(10, 99)) : String(birthYear % 100).padStart(2, '0');
    const patterns = [`${f}.${l}`, `${f}${l}`, `${f[0]}${l}`, `${f}.${l}${yy}`, `${f}_${l}`, `${l}.${f}`, `${f}${yy}`, `${f}.${l[0]}`];
    const local = patterns[rng.weighted([30, 12, 14, 12, 6, 6, 10, 10])] as string;
    const domain = rng.pick(DOMAINS);
    let candidate = `${local}@${domain}`;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${local}${n}@${domain}`;
    this.used.add(candidate);
    return candidate;
  }
}
