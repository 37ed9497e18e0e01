import { Controller, Get, Render } from '@nestjs/common';

@Controller()
export class HomeController {
  @Get()
  @Render('web/views/home.njk')
  home() {
    return { pageTitle: 'Accueil' };
  }
}
