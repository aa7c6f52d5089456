/** `slm recipes`: the training recipes that ship with slmkit, with what each was measured to reach. */
import type { Command } from 'commander';
import { listRecipes } from '../io/recipes.js';
import { printJson } from './common.js';

export function registerRecipes(program: Command): void {
  program
    .command('recipes')
    .description('list the training recipes that ship with slmkit (slm train --recipe NAME)')
    .option('--json', 'one JSON object: {recipes: [...]}')
    .action((o: { json?: boolean }) => {
      const all = listRecipes();
      if (o.json) {
        printJson({ recipes: all.map((r) => ({ name: r.name, path: r.path, ...r.file })) });
        return;
      }
      for (const r of all) {
        process.stdout.write(`${r.name}\n  ${r.file.recipe?.description ?? ''}\n`);
        if (r.file.recipe?.measured) process.stdout.write(`  measured: ${r.file.recipe.measured}\n`);
        process.stdout.write(`  slm train --recipe ${r.name}${r.file.model?.type === undefined ? ' --model TYPE' : ''} --data DIR --out RUN_DIR\n`);
      }
    });
}
