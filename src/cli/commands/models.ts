/** `skelact models`: the pretrained models that ship with the package, usable as `--model <name>`. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { listPretrained } from '../../models/pretrained.js';
import { type GlobalOptions, print, printJson } from '../output.js';

export const modelsCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'models',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .example('$0 models', 'names, classes, accuracy and how each was trained')
      .example('$0 classify walk.mp4 --model nw-ucla', 'use one') as Argv<GlobalOptions>,
  handler: (args: ArgumentsCamelCase<GlobalOptions>) => {
    const models = listPretrained();
    if (args.json) return printJson(models.map((m) => ({ ...m.card, dir: m.dir, bytes: m.bytes })));
    if (models.length === 0) return print('no pretrained models in this install');
    for (const m of models) {
      const c = m.card;
      print(`${m.name}: ${c.title}`);
      print(`  input: ${c.input}`);
      print(`  ${c.classes.length} classes: ${c.classes.join(', ')}`);
      for (const a of c.accuracy)
        print(
          `  top-1 ${(100 * a.top1).toFixed(1)} % on ${a.split} (${a.samples} samples)${a.note ? `; ${a.note}` : ''}`,
        );
      print(
        `  recipe: ${c.recipe.config}, trained on ${c.recipe.trainedOn} in ${(c.trainingSeconds / 60).toFixed(1)} min (${c.machine}), ${c.date}`,
      );
      print(`  ${(m.bytes / 1024).toFixed(0)} KB, weights ${c.weights}, folder ${m.dir}`);
    }
  },
};
