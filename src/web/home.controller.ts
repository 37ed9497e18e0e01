import { Controller, Get, Render } from '@nestjs/common';

@Controller()
export class HomeController {
  @Get()
  @Render('web/views/home.njk')
  home() {
    return { pageTitle: 'Accueil' };
  }

  /** The accessibility statement that French public services publish (RGAA), linked from every page's footer. */
  @Get('accessibilite')
  @Render('web/views/accessibilite.njk')
  accessibility() {
    return { pageTitle: 'Déclaration d’accessibilité' };
  }
}
