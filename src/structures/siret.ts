/**
 * SIRET: 14 digits whose Luhn checksum is valid. (La Poste's establishments,
 * SIREN 356000000, follow another rule; none of them is a structure here.)
 */
export function isValidSiret(value: string): boolean {
  return /^\d{14}$/.test(value) && luhnValid(value);
}

/** Luhn (mod 10): from the right, double every second digit. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Accepts the usual spaced form ("217 005 503 00016") and returns digits only. */
export function normaliseSiret(value: string): string {
  return value.replace(/[\s\u00a0]/g, '');
}
