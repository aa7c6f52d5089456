/**
 * Training recipes: JSON files of {recipe: {name, description, measured}, model: {...},
 * train: {...}} that `slm train --recipe NAME` (or --config FILE) starts from, flags overriding
 * them. slmkit ships its recipes in recipes/ at the package root: the notebook's two models, the
 * workshop's transformer, and the best small-model recipe measured for a 2-core machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../tensor/errors.js';

/** The recipes folder that ships with slmkit. */
export const recipesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'recipes');

export interface RecipeFile {
  recipe?: { name?: string; description?: string; measured?: string };
  model?: Record<string, unknown>;
  train?: Record<string, unknown>;
  /** The data folder or store the recipe was measured on (a default for --data). */
  data?: string;
}

const SECTIONS = ['recipe', 'model', 'train', 'data'];

/** Reads and checks the shape of a recipe or config file (keys are checked later, with the model type known). */
export function readRecipeFile(path: string): RecipeFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`, 'a config is a JSON object {"model": {...}, "train": {...}}');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${path} is not a JSON object`, 'a config is {"model": {...}, "train": {...}}');
  for (const [k, v] of Object.entries(raw)) {
    if (!SECTIONS.includes(k)) throw new ConfigError(`unknown section '${k}' in ${path}`, `use ${SECTIONS.join(', ')}`);
    if (k !== 'data' && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new ConfigError(`section '${k}' in ${path} must be an object`);
    if (k === 'data' && typeof v !== 'string') throw new ConfigError(`'data' in ${path} must be a path`);
  }
  return raw as RecipeFile;
}

/** The shipped recipes by name, with their descriptions. */
export function listRecipes(): { name: string; path: string; file: RecipeFile }[] {
  if (!existsSync(recipesDir)) return [];
  return readdirSync(recipesDir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => ({ name: f.slice(0, -5), path: join(recipesDir, f), file: readRecipeFile(join(recipesDir, f)) }));
}

/** A shipped recipe by name, or a recipe file by path. */
export function findRecipe(nameOrPath: string): { path: string; file: RecipeFile } {
  if (existsSync(nameOrPath) && nameOrPath.endsWith('.json')) return { path: nameOrPath, file: readRecipeFile(nameOrPath) };
  const shipped = listRecipes();
  const hit = shipped.find((r) => r.name === nameOrPath);
  if (!hit) {
    throw new ConfigError(`no recipe named '${nameOrPath}'`, `shipped recipes: ${shipped.map((r) => r.name).join(', ')} (slm recipes lists them); or give a .json file`);
  }
  return hit;
}
