/** The bar that links a teaching view's parameter to the recipe, as rendered HTML. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RecipeLink, type RecipeLinkProps } from './Controls.tsx';

const base: RecipeLinkProps = {
  param: 'density',
  value: 0.5,
  recipeValue: undefined,
  linked: false,
  switchTo: 'DARE TIES',
  live: false,
  onLive: () => undefined,
  onApply: () => undefined,
};
const text = (p: Partial<RecipeLinkProps>) =>
  renderToStaticMarkup(<RecipeLink {...base} {...p} />).replace(/<[^>]+>/g, '');

describe('RecipeLink', () => {
  it('a TIES recipe in the DARE view: shows its density and says its method is not DARE or DELLA', () => {
    const t = text({ recipeValue: 0.3, methods: 'DARE or DELLA' });
    expect(t).toContain('Recipe’s density: 0.3 (its method is not DARE or DELLA)');
    expect(t).not.toContain('has no density');
  });
  it('a method without the parameter still says so', () => {
    expect(text({ methods: 'DARE or DELLA' })).toContain(
      'Recipe’s density: none (its method has no density)',
    );
    expect(text({ param: 't', switchTo: 'SLERP' })).toContain('(its method has no t)');
  });
  it('a linked recipe shows its value', () => {
    expect(text({ linked: true, recipeValue: 0.25 })).toContain('Recipe’s density: 0.25');
  });
});
